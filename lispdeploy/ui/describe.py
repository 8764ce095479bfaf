"""`lispdeploy describe`: a readable summary of each machine of a spec, or its full JSON."""

from __future__ import annotations

from typing import Any, Dict, List

from lispdeploy.gexp.files import FileLike
from lispdeploy.machine import Machine
from lispdeploy.records import Record
from lispdeploy.services.guix_system import is_guix_system_only
from lispdeploy.system import guix_system
from lispdeploy.ui.values import show, to_json


def describe_json(spec_path: str, machines: List[Machine]) -> Dict[str, Any]:
    """The complete JSON document for `describe --json`."""
    return {"spec": spec_path, "machines": [to_json(m) for m in machines]}


def describe_text(machines: List[Machine]) -> str:
    """The readable summary for `describe`."""
    return "\n\n".join(_machine(m) for m in machines) + "\n"


def _machine(m: Machine) -> str:
    os = m.operating_system
    rows = [("environment", m.environment.name)]
    rows.append(("reached by", _configuration(m.configuration)))
    if m.tags:
        rows.append(("tags", " ".join("@" + t for t in m.tags)))
    if m.wave is not None:
        rows.append(("wave", str(m.wave)))
    if m.health_checks:
        rows.append(("health checks", ", ".join(c.label for c in m.health_checks)))
    settings = [f"time zone {os.timezone}", f"locale {os.locale}"]
    if os.keyboard_layout is not None:
        kl = os.keyboard_layout
        settings.append("keyboard " + kl.name + (f" ({kl.variant})" if kl.variant else ""))
    rows.append(("settings", ", ".join(settings)))
    users = []
    for u in os.users:
        groups = " ".join(u.supplementary_groups)
        users.append(f"{u.name} ({u.group}{'; ' + groups if groups else ''})")
    rows.append(("users", ", ".join(users)))
    rows.append(("groups", " ".join(g.name for g in os.groups)))
    rows.append(("packages", " ".join(p.name + (f"@{p.version}" if p.version else "")
                                      for p in os.packages) or "none"))
    rows.append(("services", ", ".join(_service(s) for s in os.services
                                       if not is_guix_system_only(s.kind)) or "none"))
    real = [fs for fs in os.file_systems if not fs.pseudo]
    fs_text = ", ".join(f"{fs.mount_point} ({show(_device(fs.device))}, {fs.type})" for fs in real)
    pseudo = len(os.file_systems) - len(real)
    rows.append(("file systems", (fs_text or "none") + (f" + {pseudo} pseudo" if pseudo else "")))
    mapped = [_mapped_device(d) for d in os.mapped_devices
              if isinstance(d, guix_system.MappedDevice)]
    if mapped:
        rows.append(("mapped devices", ", ".join(mapped)))
    if os.bootloader is not None:
        b = os.bootloader
        rows.append(("bootloader", f"{b.bootloader.name} on {' '.join(b.targets) or '(no target)'}"))
    rows.append(("sudoers", _file(os.sudoers_file)))
    width = max(len(k) for k, _ in rows)
    head = f"machine {m.display_name}" + (f"  ({m.location})" if m.location else "")
    lines = [head] + [f"  {k.ljust(width)}  {v}" for k, v in rows]
    description = getattr(m.environment, "description", None)
    if description:
        lines.insert(2, f"  {''.ljust(width)}  ({description})")
    for where, text in guix_system.notes(os):
        lines.append(f"  warning: {text}" + (f" ({where})" if where else ""))
    notes = getattr(m.configuration, "guix_notes", None)
    for text in (notes() if notes is not None else ()):
        lines.append(f"  warning: {text}" + (f" ({m.configuration.location})"
                                             if m.configuration.location else ""))
    return "\n".join(lines)


def _mapped_device(d) -> str:
    kind = d.type.kind
    sources = " ".join(guix_system.device_source(s) for s in (
        d.source if isinstance(d.source, tuple) else (d.source,)))
    if kind == "luks":
        key = f"key {d.key_file}" if d.key_file else "passphrase at boot"
        return (f"/dev/mapper/{d.target} (luks {sources}, {key}"
                + (", discard" if d.allow_discards else "") + ")")
    if kind == "lvm":
        return " ".join(f"/dev/mapper/{t}" for t in d.targets) + f" (lvm {sources})"
    return f"{d.target} (raid {sources})"


def _configuration(c: Any) -> str:
    if c is None:
        return "#f"
    if not isinstance(c, Record):
        return show(c)
    fields = dict((f.spec_name, v) for f, v in c.field_values())
    if c.record_name == "machine-ssh-configuration":
        text = f"ssh {fields['user']}@{fields['host-name']}:{fields['port']} ({fields['system']})"
        if fields.get("identity"):
            text += f", identity {fields['identity']}"
        if fields.get("host-key"):
            text += ", host key pinned"
        return text
    shown = ", ".join(f"{k} {show(v)}" for k, v in fields.items() if v not in (None, (), False))
    return f"{c.record_name}: {shown}"


def _service(s) -> str:
    value = s.value
    if isinstance(value, Record):
        changed = [f"{f.spec_name} {show(v)}" for f, v in value.field_values()
                   if v != f.default and not isinstance(v, Record) and not callable(v)]
        if changed:
            return f"{s.kind.name} ({', '.join(changed[:3])}{', ...' if len(changed) > 3 else ''})"
    return s.kind.name


def _device(device: Any) -> Any:
    if isinstance(device, Record):
        values = [v for _, v in device.field_values()]
        return f"{device.record_name} {values[0]}"
    return device


def _file(obj: Any) -> str:
    if isinstance(obj, FileLike):
        content = getattr(obj, "content", None)
        if isinstance(content, str):
            lines = content.strip("\n").splitlines()
            return f"{obj.record_name} \"{obj.name}\": " + " | ".join(lines)
        return f"{obj.record_name} \"{getattr(obj, 'name', '')}\""
    return show(obj)


__all__ = ["describe_json", "describe_text", "to_json"]
