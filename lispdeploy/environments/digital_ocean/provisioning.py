"""Finding, creating, waiting for and deleting one machine's droplet: the work behind
`digital-ocean-environment-type`.

A droplet is found again by its name (the machine's host name) among the droplets carrying
lispdeploy's tag and the configuration's tags, so deploying twice never makes a second one.
A missing droplet is created with the user's key (registered in the account if it is not) and
a host key lispdeploy made (in the user data); then lispdeploy waits, bounded in time and in
attempts, until DigitalOcean says the droplet is active and its sshd answers with that host
key. If anything fails after the creation, the droplet is deleted again and the error says so.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable, List, Optional, Tuple

from lispdeploy.environments import deploy_options
from lispdeploy.environments.digital_ocean import keys
from lispdeploy.environments.digital_ocean.api import (ApiUnreachable, DigitalOceanApi, Droplet,
                                                      DropletRequest)
from lispdeploy.environments.digital_ocean.configuration import DigitalOceanConfiguration
from lispdeploy.environments.digital_ocean.state import DropletState
from lispdeploy.environments.managed_host.configuration import MachineSshConfiguration
from lispdeploy.errors import (ConnectionError_, EnvironmentError_, HostKeyError,
                               HostMissingError, LispdeployError)
from lispdeploy.machine import Machine, ProvisionedHost, check_owner

LISPDEPLOY_TAG = "lispdeploy"
DEPLOYMENT_TAG = "lispdeploy-deployment:"  # + the deployment's name
FIRST_POLL = 1.0
MAX_POLL = 5.0
MAX_POLLS = 2000  # with the deadline: never more requests than this while waiting
SSH_ATTEMPT_TIMEOUT = 10.0
PROGRESS_EVERY = 30.0
STOPPED = ("off", "archive")

Progress = Callable[[str], None]


def provisioned_host(droplet: Droplet) -> ProvisionedHost:
    """A droplet as destroy and prune list it (its deployment from its tag)."""
    owner = next((t[len(DEPLOYMENT_TAG):] for t in droplet.tags
                  if t.startswith(DEPLOYMENT_TAG)), None)
    shape = ", ".join(x for x in (droplet.region, droplet.size, droplet.image) if x)
    where = f" at {droplet.public_ipv4}" if droplet.public_ipv4 else ""
    return ProvisionedHost("digital-ocean-environment-type", droplet.name,
                           f"droplet {droplet.id} ({shape}){where}", owner, key=droplet.id)


def managed_machine(machine: Machine, address: str, host_key: str, identity: str) -> Machine:
    """The managed-host machine that reaches a droplet: root at `address`, logging in with
    `identity`, checking `host_key`."""
    config: DigitalOceanConfiguration = machine.configuration
    ssh = MachineSshConfiguration(host_name=address, identity=identity, host_key=host_key,
                                  user="root", port=22, location=config.location,
                                  **deploy_options.carried(config))
    from lispdeploy.environments.managed_host import managed_host_environment_type
    return machine.replace(environment=managed_host_environment_type, configuration=ssh)


class Provisioner:
    """One machine's droplet, through one API client and its state directory (whose lock the
    caller holds)."""

    def __init__(self, machine: Machine, api: DigitalOceanApi, state: DropletState, *,
                 progress: Optional[Progress] = None, deployment: Optional[str] = None,
                 warn: Optional[Progress] = None,
                 interrupted: Optional[threading.Event] = None):
        self.machine = machine
        self.deployment = deployment
        self.warn: Progress = warn or (lambda text: None)
        # Set by Ctrl-C: waits end at once (a new droplet is then deleted).
        self.interrupted = interrupted or threading.Event()
        self.config: DigitalOceanConfiguration = machine.configuration
        self.name = machine.display_name
        self.subject = f"droplet {self.name}"
        self.api = api
        self.state = state
        self.progress: Progress = progress or (lambda text: None)
        self.tags = (LISPDEPLOY_TAG,) + tuple(t for t in self.config.tags
                                              if t != LISPDEPLOY_TAG)
        # Created with the deployment's tag too; found without it (older droplets lack it).
        self.creation_tags = self.tags + ((DEPLOYMENT_TAG + deployment,) if deployment else ())

    # Finding ---------------------------------------------------------------------------------

    def droplets(self) -> Tuple[List[Droplet], List[Droplet]]:
        """(this machine's droplets, every lispdeploy droplet of the same name): the first are
        those that also carry every tag of the configuration."""
        same_name = [d for d in self.api.droplets(LISPDEPLOY_TAG) if d.name == self.name]
        return [d for d in same_name if set(self.tags) <= set(d.tags)], same_name

    def find(self) -> Optional[Droplet]:
        """The machine's droplet, or None; an ambiguous answer is an error, never a guess."""
        mine, same_name = self.droplets()
        if len(mine) > 1:
            ids = ", ".join(str(d.id) for d in mine)
            raise EnvironmentError_(
                f"{self.subject}: {len(mine)} droplets have this name and the tags "
                f"{', '.join(self.tags)} (ids {ids}); lispdeploy will not guess which is the "
                "machine's", hint="delete the extra droplets in DigitalOcean's control panel")
        if not mine and same_name:
            other = same_name[0]
            raise EnvironmentError_(
                f"{self.subject}: droplet {other.id} has this name and lispdeploy's tag, but "
                f"its tags ({', '.join(other.tags)}) lack some of the configuration's "
                f"({', '.join(self.tags)}); lispdeploy will not make a second droplet",
                hint="give the droplet the missing tags (DigitalOcean's control panel), or "
                     "change tags in the machine's configuration back")
        return mine[0] if mine else None

    # Provisioning ----------------------------------------------------------------------------

    def ready(self, identity: str, *, create: bool = True) -> Tuple[Droplet, str]:
        """The machine's droplet, active and with its host key known: found, else created
        (unless `create` is false: then a missing droplet is an error). `identity` is the
        private key root logs in with."""
        self.progress("looking up its droplet")
        droplet = self.find()
        if droplet is None:
            if not create:
                raise HostMissingError(f"{self.subject} does not exist yet",
                                        hint="deploy the spec first: lispdeploy deploy SPEC")
            return self._create(identity)
        return self._reuse(droplet, identity, claim=create)

    def provisioned(self, droplet: Droplet) -> ProvisionedHost:
        """The droplet as destroy and prune list it."""
        return provisioned_host(droplet)

    def _owned(self, droplet: Droplet, *, claim: bool) -> None:
        """Refuse a droplet of another deployment; with `claim` (a deploy), tag an older
        droplet without a deployment as this deployment's."""
        found = self.provisioned(droplet)
        check_owner(self.machine, found, self.deployment)
        if claim and self.deployment and found.deployment is None:
            self.api.tag_droplet(droplet.id, DEPLOYMENT_TAG + self.deployment)
            self.warn(f"droplet {droplet.id} was made before lispdeploy recorded deployments: "
                      f"it now belongs to deployment '{self.deployment}' (tagged "
                      f"{DEPLOYMENT_TAG + self.deployment})")

    def _check_shape(self, droplet: Droplet) -> None:
        """Refuse a droplet whose region, size or image is no longer what the spec says:
        lispdeploy never moves, resizes or rebuilds one, nor keeps it without saying so."""
        wanted = {"region": self.config.region, "size": self.config.size,
                  "image": self.config.image}
        has = {"region": droplet.region, "size": droplet.size, "image": droplet.image}
        differ = [k for k in ("region", "size", "image") if has[k] and has[k] != wanted[k]]
        if differ:
            shown = ", ".join(f"{k} {has[k]} (the spec says {wanted[k]})" for k in differ)
            raise EnvironmentError_(
                f"{self.subject}: droplet {droplet.id} no longer matches the spec: {shown}; "
                "lispdeploy does not move, resize or rebuild droplets, and will not deploy to "
                "one that is not what the spec says",
                hint=f"put the spec's {', '.join(differ)} back, or replace the droplet: "
                     f"lispdeploy destroy SPEC --on {self.name}, then deploy (a new droplet, "
                     "with a new disk)")

    def _reuse(self, droplet: Droplet, identity: str, *, claim: bool = False
               ) -> Tuple[Droplet, str]:
        self._owned(droplet, claim=claim)
        self._check_shape(droplet)
        recorded = self.state.droplet_id()
        if recorded is not None and recorded != droplet.id:
            raise EnvironmentError_(
                f"{self.subject}: the droplet of this name is {droplet.id}, not {recorded}, the "
                "one lispdeploy created; its host key is unknown, so lispdeploy will not "
                "connect to it",
                hint=f"if it replaced the old one on purpose, check its host key on its "
                     f"console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), write the "
                     f"key to {self.state.host_key_path}.pub and remove "
                     f"{self.state.record_path}")
        host_key = self.state.host_key()
        if host_key is None:
            raise EnvironmentError_(
                f"{self.subject}: droplet {droplet.id} exists, but its host key is not "
                f"recorded in {self.state.directory}, so lispdeploy will not connect to it",
                hint="copy that directory from the computer that created the droplet, or check "
                     "the key on the droplet's console (ssh-keygen -lf "
                     "/etc/ssh/ssh_host_ed25519_key.pub) and write it to "
                     f"{self.state.host_key_path}.pub")
        if droplet.status in STOPPED:
            raise self._stopped(droplet)
        deadline = time.monotonic() + self.config.provisioning_timeout
        if droplet.status != "active" or not droplet.public_ipv4:
            droplet = self._wait_active(droplet, deadline)
        if self.state.private_host_key() is not None:
            # Created by a command that ended before the droplet first answered.
            self._wait_ssh(droplet, host_key, identity, deadline=deadline)
            self.state.forget_private_host_key()
        self._remember(droplet)
        return droplet, host_key

    def _create(self, identity: str) -> Tuple[Droplet, str]:
        fingerprint = self._registered_key(identity)
        self.state.forget_droplet()
        host_key = keys.generate_host_key(self.state.host_key_path, f"root@{self.name}",
                                          self.subject)
        request = DropletRequest(
            name=self.name, region=self.config.region, size=self.config.size,
            image=self.config.image, ipv6=self.config.enable_ipv6, tags=self.creation_tags,
            ssh_keys=(fingerprint,),
            user_data=keys.cloud_config(self.state.private_host_key() or "", host_key))
        self.progress(f"creating droplet ({self.config.region}, {self.config.size}, "
                      f"{self.config.image})")
        try:
            droplet = self._created(request)
        except BaseException:
            self.state.forget_droplet()
            raise
        self._remember(droplet)
        deadline = time.monotonic() + self.config.provisioning_timeout
        try:
            droplet = self._wait_active(droplet, deadline)
            self._wait_ssh(droplet, host_key, identity, deadline=deadline)
        except LispdeployError as error:
            raise self._deleted_after(droplet, error) from None
        except BaseException:
            # Interrupted: a droplet nobody waits for any more would be billed for nothing.
            self._delete_quietly(droplet)
            raise
        self.state.forget_private_host_key()
        self._remember(droplet)
        return droplet, host_key

    def _created(self, request: DropletRequest) -> Droplet:
        """Create the droplet. When the answer is lost (the request may have reached
        DigitalOcean), the droplet is looked for by name and tags instead of asking again,
        which could make a second one."""
        try:
            return self.api.create_droplet(request)
        except ApiUnreachable as lost:
            if not lost.sent:
                raise
            self.progress("the creation's answer was lost: looking for the droplet")
            try:
                found = self.find()
            except LispdeployError:
                found = None
            if found is None:
                raise EnvironmentError_(
                    f"{lost.message}; no droplet of this name was made", hint=lost.hint) \
                    from None
            return found

    def _registered_key(self, identity: str) -> str:
        """The MD5 fingerprint of the user's public key, registered in the account."""
        line = keys.public_key(identity, self.subject)
        try:
            fingerprint = keys.md5_fingerprint(line)
        except ValueError as e:
            raise EnvironmentError_(f"{self.subject}: the public key of {identity} is not "
                                    f"usable: {e}") from None
        if self.api.ssh_key(fingerprint) is None:
            self.progress("registering the SSH key in the account")
            comment = " ".join(line.split()[2:]) or os.path.basename(identity)
            try:
                self.api.create_ssh_key(f"lispdeploy: {comment}", line)
            except EnvironmentError_:
                # Another command may have registered it meanwhile (DigitalOcean refuses a
                # key twice); only a key still missing is a failure.
                if self.api.ssh_key(fingerprint) is None:
                    raise
        return fingerprint

    # Waiting ---------------------------------------------------------------------------------

    def _wait_active(self, droplet: Droplet, deadline: float) -> Droplet:
        started = time.monotonic()
        shown = started
        interval = FIRST_POLL
        self.progress(f"waiting for droplet {droplet.id} to become active")
        for _ in range(MAX_POLLS):
            if droplet.status == "active" and droplet.public_ipv4:
                return droplet
            if droplet.status in STOPPED:
                raise self._stopped(droplet)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._sleep(min(interval, remaining))
            interval = min(interval * 1.5, MAX_POLL)
            droplet = self.api.droplet(droplet.id)
            if time.monotonic() - shown >= PROGRESS_EVERY:
                shown = time.monotonic()
                self.progress(f"waiting for droplet {droplet.id} to become active "
                              f"({shown - started:.0f} s, status {droplet.status})")
        state = f"status {droplet.status}" + ("" if droplet.public_ipv4 else ", no public IPv4")
        raise EnvironmentError_(
            f"{self.subject}: droplet {droplet.id} did not become active within "
            f"{self.config.provisioning_timeout:g} s ({state})",
            hint=f"DigitalOcean may be slow in {self.config.region}: raise "
                 "provisioning-timeout, or try another region")

    def _wait_ssh(self, droplet: Droplet, host_key: str, identity: str, *,
                  deadline: float) -> None:
        """Wait until the droplet's sshd answers with `host_key` and lets root in; a different
        host key is never waited out."""
        from lispdeploy.environments.managed_host import open_transport
        address = droplet.public_ipv4 or ""
        target = managed_machine(self.machine, address, host_key, identity)
        self.progress(f"waiting for SSH on {address}")
        interval = FIRST_POLL
        last: Optional[LispdeployError] = None
        for _ in range(MAX_POLLS):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                transport = open_transport(
                    target, name=self.name,
                    timeout=max(1.0, min(SSH_ATTEMPT_TIMEOUT, remaining)),
                    host_key_source="the host key lispdeploy gave the droplet in its user data")
            except HostKeyError as e:
                raise EnvironmentError_(
                    f"{self.subject}: {e.message}",
                    hint="either cloud-init on the image ignored the user data, or someone "
                         "answers in the droplet's place: lispdeploy never accepts such a "
                         "key") from None
            except ConnectionError_ as e:
                last = e
                self._sleep(max(0.0, min(interval, deadline - time.monotonic())))
                interval = min(interval * 1.5, MAX_POLL)
                continue
            transport.close()
            return
        reason = f": {last.message}" if last is not None else ""
        raise EnvironmentError_(
            f"{self.subject}: droplet {droplet.id} ({address}) did not answer over SSH within "
            f"{self.config.provisioning_timeout:g} s{reason}",
            hint=last.hint if last is not None and last.hint else
            "raise provisioning-timeout if the image boots slowly")

    def _sleep(self, seconds: float) -> None:
        if self.interrupted.wait(max(0.0, seconds)):
            raise KeyboardInterrupt("interrupted")

    # Deleting --------------------------------------------------------------------------------

    def destroy(self) -> List[int]:
        """Delete the machine's droplets (one, unless made outside lispdeploy) and its state;
        the ids deleted."""
        mine, _ = self.droplets()
        deleted = [d.id for d in mine if self.api.delete_droplet(d.id)]
        self.state.remove()
        return deleted

    def _deleted_after(self, droplet: Droplet, error: LispdeployError) -> EnvironmentError_:
        """The error to report when provisioning failed after the droplet was created, once
        the droplet is deleted (or deleting it failed too)."""
        self.progress(f"deleting droplet {droplet.id}")
        try:
            self.api.delete_droplet(droplet.id)
        except LispdeployError as e:
            return EnvironmentError_(
                f"{error.message}; deleting droplet {droplet.id} failed too: {e.message}",
                hint=f"delete droplet {droplet.id} in DigitalOcean's control panel: it is "
                     "billed while it exists")
        self.state.forget_droplet()
        return EnvironmentError_(f"{error.message}; droplet {droplet.id} was deleted",
                                 hint=error.hint)

    def _delete_quietly(self, droplet: Droplet) -> None:
        try:
            self.api.delete_droplet(droplet.id)
            self.state.forget_droplet()
        except LispdeployError:
            # The interruption is what the user sees; the droplet is found again (by name
            # and tags) and reused by the next deploy, or removed by `lispdeploy destroy`.
            pass

    def _stopped(self, droplet: Droplet) -> EnvironmentError_:
        return EnvironmentError_(
            f"{self.subject}: droplet {droplet.id} is {droplet.status}",
            hint="power it on in DigitalOcean's control panel, or remove it with lispdeploy "
                 "destroy SPEC --on " + self.name)

    def _remember(self, droplet: Droplet) -> None:
        self.state.write_record({
            "id": droplet.id, "name": droplet.name, "region": droplet.region or
            self.config.region, "size": droplet.size or self.config.size,
            "image": droplet.image or self.config.image, "public_ipv4": droplet.public_ipv4,
            "tags": list(droplet.tags)})
