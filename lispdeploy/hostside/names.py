"""Hy's name mangling, for hosts: gexp bodies are compiled from Hy on the controller, so a call
to `file-exists?` arrives as a call to `hyx_file_existsXquestion_markX`. The namespace a gexp
body runs in binds every procedure under that mangled name, computed here because hosts do
not have Hy. This follows `hy.mangle` of Hy 1.3 exactly (a test compares the two).

Runs on hosts: standard library only.
"""

import unicodedata

# Characters that NFKC-normalize to "_" (hy.reader.mangling.normalizes_to_underscore).
_UNDERSCORES = "_\ufe33\ufe34\ufe4d\ufe4e\ufe4f\uff3f"
_DELIMITER = "X"


def mangle(name: str) -> str:
    """The Python identifier Hy compiles the symbol `name` to (`cons*` -> `hyx_consXasteriskX`)."""
    if not name:
        raise ValueError("cannot mangle an empty name")
    if "." in name and name.strip("."):
        return ".".join(mangle(part) if part else "" for part in name.split("."))
    stripped = name.lstrip(_UNDERSCORES)
    leading = "_" * (len(name) - len(stripped))
    text = stripped[0] + stripped[1:].replace("-", "_") if stripped else stripped
    if not (leading + text).isidentifier():
        text = "hyx_" + "".join(
            c if c != _DELIMITER and ("S" + c).isidentifier()
            else "{0}{1}{0}".format(
                _DELIMITER,
                unicodedata.name(c, "").lower().replace("-", "H").replace(" ", "_")
                or "U{:x}".format(ord(c)))
            for c in text)
    return unicodedata.normalize("NFKC", leading + text)
