"""Web servers (gnu/services/web.scm): `httpd-service-type` (Apache) and
`nginx-service-type`, with Guix's records, on Debian's packages and units.

httpd: the `apache2` package and its `apache2.service`. `/etc/apache2/apache2.conf` is
written whole from `httpd-config-file` (Debian's sites-enabled/ and conf-enabled/ are not
read); `httpd-virtualhost` records from other services are appended to it, as in Guix. Module
files are resolved against /usr/lib/apache2 (where Debian keeps `modules/mod_*.so`); modules
that Debian builds into apache2 are not loaded again, and `mpm_event_module` is loaded when
no MPM is named (Guix's httpd has one built in). Activation creates the document root and the
error log's directory. The file must pass `apache2 -t` on the host, checked during
activation, after the activation program made the document root and before apache2 reads it
(not before the deploy changes anything: the document root may not exist yet); a change reloads
apache2 (`apachectl graceful`).

nginx: the `nginx` package and its `nginx.service`. `/etc/nginx/nginx.conf` is written whole
(or is `file`, when given) and must pass `nginx -t` on the host (before the deploy changes
anything, and again before nginx reads it; only the second when a server block names
certificate files, which certbot's activation may make first); a change reloads
nginx (`systemctl reload`: no connection is dropped). Other services add
server blocks with `(simple-service 'x nginx-service-type (list (nginx-server-configuration
...)))`. Deviations from Guix, for Debian: the worker user is `www-data`, the pid file is the
one Debian's unit watches (/run/nginx.pid), temporary files stay in Debian's /var/lib/nginx
unless `run-directory` is given, and a server block listens on port 80 only by default (Guix
also asks for "443 ssl", which fails without a certificate).

Listen addresses: an Apache `listen` value or an nginx `listen` directive that names only a
port is bound to the build's listen address (container hosts) when there is one.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from typing import Any, Iterable, List, Optional

from lispdeploy import checks
from lispdeploy.errors import ServiceError
from lispdeploy.gexp.files import FileLike
from lispdeploy.records import Field, Record
from lispdeploy.services import kinds
from lispdeploy.services.core import ServiceExtension, ServiceType, concatenate
from lispdeploy.services.rendering import Rendering
from lispdeploy.services.sinks import (EtcFile, GeneratedFile, SystemdUnit,
                                       activation_service_type, directories_activation,
                                       etc_service_type, package_check, profile_service_type,
                                       shepherd_root_service_type)
from lispdeploy.vocabulary import Vocabulary

APACHE_LIBRARY = "/usr/lib/apache2"
# Modules Debian compiles into /usr/sbin/apache2 (`apache2 -l`): loading them is an error.
APACHE_BUILT_IN = frozenset(("core_module", "so_module", "watchdog_module", "http_module",
                             "log_config_module", "logio_module", "version_module",
                             "unixd_module"))

# ---------------------------------------------------------------------------------------------
# Kinds of values of Apache's and nginx's configuration files


def _no_dollar(text: str) -> Optional[str]:
    if not text:
        return "it is empty"
    return "it holds '$', which nginx reads as a variable" if "$" in text else None


def _no_apache_variable(text: str) -> Optional[str]:
    if not text:
        return "it is empty"
    return "it holds '${', which Apache expands" if "${" in text else None


# One plain token of nginx's syntax (nothing to quote): listen parameters, upstream servers.
_NGINX_TOKEN = re.compile(r"[^\s;{}\"'\\#$]+")
# One plain token of Apache's syntax.
_APACHE_TOKEN = re.compile(r"[^\s\"'\\#$<>]+")


def _tokens(regex, what: str):
    def test(text: str) -> Optional[str]:
        if not text.strip():
            return "it is empty"
        for token in text.split(" "):
            if not regex.fullmatch(token):
                return f"'{token}' is not a plain word" if token else "it has two spaces in a row"
        return None
    return kinds.within(kinds.line, test, what, name="words")


nginx_value = kinds.within(kinds.line, _no_dollar, "a value on one line, without '$'",
                           name="nginx-value")


def path_or_file_like(kind: kinds.FieldKind):
    """A document root: a path of `kind` (refused with the kind's reason), or a file-like
    object (a site directory, placed in the store)."""
    def check(value):
        if isinstance(value, FileLike):
            return value
        if not isinstance(value, str):
            raise TypeError("a path or a file-like object such as "
                            "(local-file \"site\" #:recursive? #t)")
        return kind(value)
    check.alternatives = (kind,)  # its kind, for lispdeploy.services.kinds.kind_of
    return check
nginx_words = _tokens(_NGINX_TOKEN, "words separated by single spaces, without quotes, "
                                    "';', '{', '}', '#', '$' or '\\'")
nginx_name = kinds.pattern(r"[A-Za-z0-9_.-]+", "a name of letters, digits, '-', '_' and '.'")
# A server name: "example.org", "*.example.org", ".example.org", "_", or 'default.
nginx_server_name = kinds.pattern(r"[A-Za-z0-9*_.:-]+|\[[0-9A-Fa-f:.]+\]",
                                  "a server name such as \"www.example.org\" or "
                                  "\"*.example.org\" (regular expressions go in raw-content)")
apache_value = kinds.within(kinds.line, _no_apache_variable,
                            "a value on one line, without '${'", name="apache-value")
apache_words = _tokens(_APACHE_TOKEN, "words separated by single spaces, without quotes, "
                                      "'#', '$', '<', '>' or '\\'")
# Apache refuses a wildcard in ServerName ("use ServerAlias to set multiple server names").
apache_server_name = kinds.pattern(r"([a-z]+://)?[A-Za-z0-9_.-]+(:[0-9]+)?",
                                   "a server name such as \"www.example.org\" or "
                                   "\"https://www.example.org:443\"")
def _port_problem(text: str) -> Optional[str]:
    return None if text.isdigit() and 0 < int(text) < 65536 else f"{text} is not a port"


def _address_problem(text: str, *, wildcard_port: bool = False,
                     names: bool = True) -> Optional[str]:
    """Problems of "ADDRESS[:PORT]" (ADDRESS an IPv4, [IPv6], '*', or with `names` a host
    name)."""
    match = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9*_.-]+)(:([0-9]+|\*))?", text)
    if not match:
        return f"'{text}' is not an address"
    if not names and match.group(1) not in ("*", "_default_"):
        try:
            ipaddress.ip_address(match.group(1).strip("[]"))
        except ValueError:
            return f"'{match.group(1)}' is not an IP address, '*' or _default_"
    port = match.group(3)
    if port is not None and not (port == "*" and wildcard_port):
        return _port_problem(port)
    return None


def _listen_problem(text: str, parameters) -> Optional[str]:
    """Problems of "[ADDRESS:]PORT PARAMETER..." (a listen directive's value)."""
    words = text.split(" ")
    first = words[0]
    problem = _port_problem(first) if first.isdigit() else (
        None if first.startswith("unix:/") else _address_problem(first))
    if problem:
        return problem
    for word in words[1:]:
        if not parameters(word):
            return f"'{word}' is not a parameter of listen"
    return None


_NGINX_LISTEN_FLAGS = ("default_server", "ssl", "http2", "quic", "proxy_protocol",
                       "deferred", "reuseport", "bind")
_NGINX_LISTEN_OPTIONS = ("setfib", "fastopen", "backlog", "rcvbuf", "sndbuf", "accept_filter",
                         "ipv6only", "so_keepalive")
apache_virtual_host = kinds.within(
    apache_words, lambda text: next(filter(None, (
        _address_problem(word, wildcard_port=True, names=False)
        for word in text.split(" "))), None),
    "addresses such as \"*:80\" or \"192.0.2.1:443\"", name="words")
apache_listen = kinds.within(apache_words, lambda text: _listen_problem(
    text, lambda word: re.fullmatch(r"[a-z]+", word) is not None),
    "a port or address such as \"80\", \"192.0.2.1:8080\" or \"443 https\"", name="words")
nginx_listen = kinds.within(nginx_words, lambda text: _listen_problem(
    text, lambda word: word in _NGINX_LISTEN_FLAGS or re.fullmatch(
        "(" + "|".join(_NGINX_LISTEN_OPTIONS) + r")=[A-Za-z0-9:._-]+", word) is not None),
    "a port or address with parameters such as \"80\", \"[::]:80\" or \"443 ssl\"",
    name="words")
apache_module_name = kinds.pattern(r"[A-Za-z0-9_]+", "a module name such as \"proxy_module\"")

# nginx's own variables (and regular-expression captures $1..$9), which try-files may use.
NGINX_VARIABLES = frozenset((
    "args", "binary_remote_addr", "body_bytes_sent", "bytes_sent", "connection",
    "connection_requests", "content_length", "content_type", "document_root", "document_uri",
    "fastcgi_path_info", "fastcgi_script_name", "host", "hostname", "https", "is_args",
    "limit_rate", "msec", "nginx_version", "pid", "pipe", "query_string", "realpath_root",
    "remote_addr", "remote_port", "remote_user", "request", "request_body",
    "request_filename", "request_id", "request_length", "request_method", "request_time",
    "request_uri", "scheme", "server_addr", "server_name", "server_port", "server_protocol",
    "status", "time_iso8601", "time_local", "uri"))
_VARIABLE_PREFIXES = ("arg_", "http_", "cookie_", "sent_http_")


def _try_files_problem(text: str) -> Optional[str]:
    for match in re.finditer(r"\$(\{)?([A-Za-z0-9_]*)(\})?", text):
        brace, name, close = match.groups()
        if bool(brace) != bool(close) or not name:
            return "it holds '$' that is not a variable such as $uri"
        if not (name in NGINX_VARIABLES or name.isdigit() and len(name) == 1
                or (name.startswith(_VARIABLE_PREFIXES) and len(name) > 5)):
            return f"${name} is not one of nginx's variables"
    if not re.fullmatch(r"[^\s;{}\"'\\#]+", text):
        return "it is not a plain word"
    return None


nginx_try_file = kinds.within(kinds.word, _try_files_problem,
                              "a try_files argument such as \"$uri\", \"$uri/\" or \"=404\"")
_LOCATION_MODIFIERS = ("=", "~", "~*", "^~")


def _location_uri_problem(text: str) -> Optional[str]:
    modifier, _, rest = text.partition(" ")
    if modifier in _LOCATION_MODIFIERS:
        if not rest or rest != rest.strip():
            return "it has no URI after its modifier"
        if modifier.startswith("~"):
            try:
                # PCRE's named groups, in Python's spelling, to check the expression.
                re.compile(rest.replace("(?<", "(?P<").replace("(?P<=", "(?<=")
                           .replace("(?P<!", "(?<!"))
            except re.error as e:
                return f"its regular expression is invalid: {e}"
        return None
    if not text.startswith("/") and not text.startswith("@"):
        return "it does not start with '/' or a modifier (=, ~, ~*, ^~)"
    return None


nginx_location_uri = kinds.within(kinds.line, _location_uri_problem,
                                  "a location such as \"/api/\", \"= /exact\" or "
                                  "\"~ \\\\.php$\"")


def _nginx_location(uri: str) -> str:
    """The arguments of a `location` block: its modifier, and the URI quoted for nginx."""
    modifier, _, rest = uri.partition(" ")
    if modifier in _LOCATION_MODIFIERS:
        return f"{modifier} {kinds.nginx_word(rest)}"
    return kinds.nginx_word(uri)


def _text_tree(value):
    """Strings, file-likes, and lists of them (flattened)."""
    if isinstance(value, str):
        return (kinds.raw(value),)
    if isinstance(value, FileLike):
        return (value,)
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            out.extend(_text_tree(item))
        return tuple(out)
    raise TypeError("strings, file-like objects, or lists of them")


_text_tree.inner = kinds.raw


def _join(parts: Iterable[Any], rendering: Rendering) -> str:
    return "".join(rendering.path_of(p) if isinstance(p, FileLike) else p for p in parts)


_WILDCARDS = ("[::]:", "*:", "0.0.0.0:")


def bind_port(listen: str, address) -> str:
    """`listen` bound to `address` when it names only a port ("80", "443 ssl") or a wildcard
    address ("[::]:80", "*:80", "0.0.0.0:80"): container hosts share one network, where a
    wildcard would take the port from every other host."""
    if not address:
        return listen
    words = listen.split(None, 1)
    if not words:
        return listen
    port = words[0]
    for wildcard in _WILDCARDS:
        if port.startswith(wildcard):
            port = port[len(wildcard):]
    if not port.isdigit():
        return listen
    host = f"[{address}]" if ":" in address else address
    rest = [w for w in (words[1].split() if len(words) > 1 else ())
            if not w.startswith("ipv6only=")]
    return f"{host}:{port}" + "".join(f" {w}" for w in rest)


# ---------------------------------------------------------------------------------------------
# Apache httpd


class HttpdModule(Record):
    """A module to load: `(httpd-module (name "proxy_module") (file "modules/mod_proxy.so"))`."""

    record_name = "httpd-module"
    fields = (Field("name", check=apache_module_name), Field("file", check=apache_value))


DEFAULT_HTTPD_MODULES = tuple(HttpdModule(name=f"{name}_module", file=f"modules/mod_{name}.so")
                              for name in (
    "authn_file", "authn_core", "authz_host", "authz_groupfile", "authz_user", "authz_core",
    "access_compat", "auth_basic", "reqtimeout", "filter", "mime", "log_config", "env",
    "headers", "setenvif", "version", "unixd", "status", "autoindex", "dir", "alias"))


class HttpdConfigFile(Record):
    """Apache's configuration, as Guix's `httpd-config-file` (Debian's paths as defaults)."""

    record_name = "httpd-config-file"
    fields = (
        Field("modules", DEFAULT_HTTPD_MODULES, check=checks.list_of(
            checks.instance_of(HttpdModule, ""), "httpd-module records")),
        Field("server_root", "/etc/apache2", check=apache_value),
        Field("server_name", None, check=checks.optional(apache_server_name)),
        Field("document_root", "/srv/http", check=path_or_file_like(kinds.within(
            kinds.absolute_path, _no_apache_variable, "an absolute path on one line"))),
        Field("listen", ("80",), check=checks.list_of(apache_listen, "strings such as \"80\"")),
        Field("pid_file", "/var/run/apache2/apache2.pid", check=checks.optional(apache_value)),
        Field("error_log", "/var/log/apache2/error.log", check=checks.optional(apache_value)),
        Field("user", "www-data", check=checks.optional(kinds.account_name)),
        Field("group", "www-data", check=checks.optional(kinds.account_name)),
        Field("extra_config", ("TypesConfig /etc/mime.types",), check=_text_tree),
    )


class HttpdVirtualhost(Record):
    """A `<VirtualHost>` block other services add: `(httpd-virtualhost "*:80" (list ...))`."""

    record_name = "httpd-virtualhost"
    fields = (Field("addresses_and_ports", check=apache_virtual_host),
              Field("contents", (), check=_text_tree))


def httpd_virtualhost(addresses_and_ports, contents, *, location=None) -> HttpdVirtualhost:
    """Guix's positional constructor `(httpd-virtualhost ADDRESSES-AND-PORTS CONTENTS)`."""
    return HttpdVirtualhost(addresses_and_ports=addresses_and_ports, contents=contents,
                            location=location)


class HttpdConfiguration(Record):
    """The Apache service: its package, and its configuration (a record or a file-like)."""

    record_name = "httpd-configuration"
    fields = (
        Field("package", "apache2", check=package_check),
        Field("pid_file", "/var/run/apache2/apache2.pid", check=kinds.absolute_path),
        Field("config", HttpdConfigFile(), check=checks.either(
            checks.instance_of(HttpdConfigFile, ""), checks.instance_of(FileLike, ""),
            what="an (httpd-config-file ...) or a file-like object")),
    )


def httpd_conf(config: HttpdConfigFile, rendering: Rendering) -> str:
    """The text of /etc/apache2/apache2.conf."""
    lines = ["# Generated by lispdeploy from httpd-config-file.", ""]
    names = {m.name for m in config.modules}
    if not any(n.startswith("mpm_") for n in names):
        lines.append(f"LoadModule mpm_event_module {APACHE_LIBRARY}/modules/mod_mpm_event.so")
    for module in config.modules:
        if module.name in APACHE_BUILT_IN:
            continue
        path = module.file if module.file.startswith("/") else posixpath.join(APACHE_LIBRARY,
                                                                             module.file)
        lines.append(f"LoadModule {module.name} {kinds.apache_word(path)}")
    lines.append(f"ServerRoot {kinds.apache_word(config.server_root)}")
    if config.server_name:
        lines.append(f"ServerName {config.server_name}")
    lines.append(f"DocumentRoot {kinds.apache_word(_root(config.document_root, rendering))}")
    lines += [f"Listen {bind_port(value, rendering.listen_address)}" for value in config.listen]
    for keyword, value in (("PidFile", config.pid_file), ("ErrorLog", config.error_log),
                           ("User", config.user), ("Group", config.group)):
        if value:
            lines.append(f"{keyword} {kinds.apache_word(value)}")
    lines += ["", ""]
    return "\n".join(lines) + _join(_lines(config.extra_config), rendering)


def _lines(parts) -> List:
    """Guix concatenates extra-config as given; strings without a newline get one, so that a
    list of directives reads as one per line."""
    out: List = []
    for part in parts:
        out.append(part)
        if isinstance(part, str) and not part.endswith("\n"):
            out.append("\n")
    return out


def _httpd_file(configuration: HttpdConfiguration):
    config = configuration.config
    if isinstance(config, HttpdConfigFile):
        return GeneratedFile(name="apache2.conf", location=config.location or
                             configuration.location,
                             generate=lambda rendering: httpd_conf(config, rendering))
    return config


def _httpd_extend(configuration: HttpdConfiguration, extensions) -> HttpdConfiguration:
    if not extensions:
        return configuration
    config = configuration.config
    if not isinstance(config, HttpdConfigFile):
        raise ServiceError("httpd-service-type: other services add virtual hosts, but its "
                           "config is a file", location=configuration.location,
                           hint="use (config (httpd-config-file ...)) so that extensions can "
                                "be added to it")
    extra: List = list(config.extra_config)
    for ext in extensions:
        if isinstance(ext, HttpdVirtualhost):
            extra += [f"\n<VirtualHost {ext.addresses_and_ports}>\n", *ext.contents,
                      "\n</VirtualHost>\n"]
        else:
            extra += ["\n", *_text_tree(ext), "\n"]
    return configuration.replace(config=config.replace(extra_config=tuple(extra)))


def _httpd_activation(configuration: HttpdConfiguration):
    config = configuration.config
    if not isinstance(config, HttpdConfigFile):
        return ()
    # A file-like document root is a store directory: it exists as soon as the item does.
    paths = [config.document_root] if isinstance(config.document_root, str) else []
    if config.error_log and config.error_log.startswith("/"):
        paths.append(posixpath.dirname(config.error_log))
    return (directories_activation(paths, location=configuration.location),)


httpd_service_type = ServiceType(
    name="httpd",
    extensions=(
        ServiceExtension(target=etc_service_type, compute=lambda c: (EtcFile(
            path="apache2/apache2.conf", file=_httpd_file(c), location=c.location,
            validate=("/usr/sbin/apache2", "-t", "-f", "{}"),
            # apache2 -t wants the document root, which the activation program makes.
            validate_early=False),)),
        ServiceExtension(target=shepherd_root_service_type, compute=lambda c: (SystemdUnit(
            name="apache2.service", reload=("apache2/apache2.conf",), packages=(c.package,),
            provision=("httpd", "apache2"), location=c.location),)),
        ServiceExtension(target=activation_service_type, compute=_httpd_activation),
        ServiceExtension(target=profile_service_type, compute=lambda c: (c.package,)),
    ),
    compose=concatenate,
    extend=_httpd_extend,
    default_value=HttpdConfiguration(),
    description="Run the Apache httpd Web server (Debian's apache2.service).")


# ---------------------------------------------------------------------------------------------
# nginx


class NginxLocationConfiguration(Record):
    """A `location URI { ... }` block of a server."""

    record_name = "nginx-location-configuration"
    fields = (Field("uri", check=nginx_location_uri),
              Field("body", check=checks.list_of(kinds.raw, "directive strings"),
                    doc="nginx directives written as they are"))


class NginxNamedLocationConfiguration(Record):
    """A `location @NAME { ... }` block of a server."""

    record_name = "nginx-named-location-configuration"
    fields = (Field("name", check=nginx_name),
              Field("body", check=checks.list_of(kinds.raw, "directive strings"),
                    doc="nginx directives written as they are"))


class NginxServerConfiguration(Record):
    """A `server { ... }` block."""

    record_name = "nginx-server-configuration"
    fields = (
        Field("listen", ("80",), check=checks.list_of(nginx_listen, "strings such as \"80\"")),
        Field("server_name", ("default",),
              check=checks.list_of(nginx_server_name, "names ('default or strings)")),
        Field("root", "/srv/http", check=path_or_file_like(nginx_value)),
        Field("locations", (), check=checks.list_of(checks.either(
            checks.instance_of(NginxLocationConfiguration, ""),
            checks.instance_of(NginxNamedLocationConfiguration, ""), what=""),
            "nginx-location-configuration records")),
        Field("index", ("index.html",), check=checks.list_of(nginx_value, "file names")),
        Field("try_files", (), check=checks.list_of(nginx_try_file, "try_files arguments")),
        Field("ssl_certificate", None, check=checks.optional(nginx_value)),
        Field("ssl_certificate_key", None, check=checks.optional(nginx_value)),
        Field("server_tokens", False, check=checks.boolean, spec_name="server-tokens?"),
        Field("raw_content", (), check=checks.list_of(kinds.raw, "directive strings"),
              doc="nginx directives written as they are"),
    )


class NginxUpstreamConfiguration(Record):
    """An `upstream NAME { server ...; }` block."""

    record_name = "nginx-upstream-configuration"
    fields = (Field("name", check=nginx_name),
              Field("servers", check=checks.list_of(nginx_words, "server strings")),
              Field("extra_content", (), check=checks.list_of(kinds.raw, "strings"),
                    doc="nginx directives written as they are"))


_nginx_directory = kinds.within(kinds.absolute_path, _no_dollar,
                                "an absolute directory path without spaces or '$'")


def _directives(value):
    """Guix's global-directives: (KEY VALUE) pairs, VALUE a string, number or nested pairs."""
    if isinstance(value, dict):
        value = list(value.items())
    out = []
    for item in checks.list_of(checks.anything, "(KEY VALUE) pairs")(value):
        if not (isinstance(item, (list, tuple)) and len(item) in (1, 2)
                and isinstance(item[0], str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*",
                                                              item[0])):
            raise TypeError("(KEY VALUE) pairs such as (\"worker_processes\" 2)")
        inner = item[1] if len(item) == 2 else ()
        if isinstance(inner, (list, tuple, dict)):
            inner = _directives(inner)
        elif not isinstance(inner, (str, int)) or isinstance(inner, bool):
            raise TypeError("(KEY VALUE) pairs with string or number values")
        elif isinstance(inner, str):
            problem = nginx_words._test(inner)
            if problem:
                raise TypeError(f"(KEY VALUE) pairs whose values are plain words ({problem})")
        out.append((str(item[0]), inner))
    return tuple(out)


class NginxConfiguration(Record):
    """The nginx service, with Guix's fields (see the module docstring for Debian's defaults)."""

    record_name = "nginx-configuration"
    fields = (
        Field("nginx", "nginx", check=package_check),
        Field("shepherd_requirement", (), check=checks.list_of(kinds.word, "names")),
        Field("log_directory", "/var/log/nginx", check=_nginx_directory),
        Field("log_level", "error", check=checks.one_of(
            "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg")),
        Field("run_directory", None, check=checks.optional(_nginx_directory)),
        Field("server_blocks", (), check=checks.list_of(
            checks.instance_of(NginxServerConfiguration, ""), "nginx-server-configuration "
                                                             "records")),
        Field("upstream_blocks", (), check=checks.list_of(
            checks.instance_of(NginxUpstreamConfiguration, ""), "nginx-upstream-configuration "
                                                               "records")),
        Field("server_names_hash_bucket_size", None, check=checks.optional(checks.integer)),
        Field("server_names_hash_bucket_max_size", None, check=checks.optional(checks.integer)),
        Field("modules", (), check=checks.list_of(nginx_value, "module file paths")),
        Field("global_directives", (("events", ()),), check=_directives),
        Field("extra_content", "", check=checks.either(kinds.raw, _text_tree,
                                                       what="a string or a list of strings"),
              doc="nginx configuration written as it is, at the end of the http block"),
        Field("file", None, check=checks.optional(checks.either(
            kinds.raw, checks.instance_of(FileLike, ""), what="a string or a file-like")),
              doc="a whole nginx.conf instead of the generated one"),
    )


def _root(root, rendering: Rendering) -> str:
    """A document root: a path, or the store path of a file-like (a site directory)."""
    return rendering.path_of(root) if isinstance(root, FileLike) else root


def _server_block(server: NginxServerConfiguration, rendering: Rendering) -> List[str]:
    address = rendering.listen_address
    out = ["    server {"]
    # Bound to one address, "80" and "[::]:80" are the same socket: listed once.
    out += [f"      listen {listen};" for listen in
            dict.fromkeys(bind_port(listen, address) for listen in server.listen)]
    names = " ".join("_" if n == "default" else n for n in server.server_name)
    out.append(f"      server_name {names};")
    if server.ssl_certificate:
        out.append(f"      ssl_certificate {kinds.nginx_word(server.ssl_certificate)};")
    if server.ssl_certificate_key:
        out.append(f"      ssl_certificate_key {kinds.nginx_word(server.ssl_certificate_key)};")
    if server.root:
        out.append(f"      root {kinds.nginx_word(_root(server.root, rendering))};")
    if server.index:
        out.append(f"      index {' '.join(kinds.nginx_word(i) for i in server.index)};")
    if server.try_files:
        out.append(f"      try_files {' '.join(server.try_files)};")
    out.append(f"      server_tokens {'on' if server.server_tokens else 'off'};")
    out.append("")
    for location in server.locations:
        head = (_nginx_location(location.uri) if isinstance(location, NginxLocationConfiguration)
                else f"@{location.name}")
        out.append(f"      location {head} {{")
        out += [f"        {line}" for line in location.body]
        out.append("      }")
    out.append("")
    out += [f"      {line}" for line in server.raw_content]
    out.append("    }")
    return out


def _global(key: str, value) -> str:
    if isinstance(value, tuple):
        return f"{key} {{ " + "".join(_global(k, v) for k, v in value) + "}\n"
    return f"{key} {value};\n"


def nginx_conf(config: NginxConfiguration, rendering: Rendering) -> str:
    """The text of /etc/nginx/nginx.conf."""
    log = config.log_directory.rstrip("/")
    head = ["# Generated by lispdeploy from nginx-configuration.",
            "user www-data;", "pid /run/nginx.pid;",
            f"error_log {kinds.nginx_word(log + '/error.log')} {config.log_level};"]
    head += [f"load_module {kinds.nginx_word(module)};" for module in config.modules]
    text = "\n".join(head) + "\n" + "".join(_global(k, v) for k, v in config.global_directives)
    http = ["http {"]
    if config.run_directory:
        run = config.run_directory.rstrip("/")
        http += [f"    {kind}_temp_path {kinds.nginx_word(f'{run}/{kind}_temp')};"
                 for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")]
    http += [f"    access_log {kinds.nginx_word(log + '/access.log')};",
             "    include /etc/nginx/mime.types;"]
    for key, value in (("server_names_hash_bucket_size", config.server_names_hash_bucket_size),
                       ("server_names_hash_bucket_max_size",
                        config.server_names_hash_bucket_max_size)):
        if value:
            http.append(f"    {key} {value};")
    http.append("")
    for upstream in config.upstream_blocks:
        http.append(f"    upstream {upstream.name} {{")
        http += [f"      server {server};" for server in upstream.servers]
        if upstream.extra_content:
            http += [""] + [f"      {line}" for line in upstream.extra_content]
        http.append("    }")
    for server in config.server_blocks:
        http += _server_block(server, rendering)
    extra = config.extra_content
    # As in Guix: a string goes in as it is, a list is one indented directive per item.
    parts: List[Any] = ([extra] if isinstance(extra, str)
                        else [x for item in extra for x in ("    ", item, "\n")])
    return text + "\n".join(http) + "\n" + _join(parts, rendering) + "}\n"


def _nginx_file(config: NginxConfiguration):
    if config.file is None:
        return GeneratedFile(name="nginx.conf", location=config.location,
                             generate=lambda rendering: nginx_conf(config, rendering))
    if isinstance(config.file, str):
        return GeneratedFile(name="nginx.conf", location=config.location,
                             generate=lambda _rendering: config.file)
    return config.file


def _names_certificates(config: NginxConfiguration) -> bool:
    """Whether a server block names certificate files, which may not exist before the
    activation program made them (certbot's first, self-signed certificates): `nginx -t`
    then runs during activation only."""
    return any(s.ssl_certificate or s.ssl_certificate_key for s in config.server_blocks)


def _nginx_units(config: NginxConfiguration):
    return (SystemdUnit(name="nginx.service", reload=("nginx/nginx.conf",),
                        provision=("nginx",), packages=(config.nginx,),
                        location=config.location),)


def _nginx_activation(config: NginxConfiguration):
    paths = [config.log_directory]
    if config.run_directory:
        run = config.run_directory.rstrip("/")
        paths += [f"{run}/{kind}_temp" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                    "scgi")]
    return (directories_activation(paths, location=config.location),)


nginx_service_type = ServiceType(
    name="nginx",
    extensions=(
        ServiceExtension(target=etc_service_type, compute=lambda c: (EtcFile(
            path="nginx/nginx.conf", file=_nginx_file(c), location=c.location,
            validate=("/usr/sbin/nginx", "-t", "-q", "-c", "{}"),
            validate_early=not _names_certificates(c)),)),
        ServiceExtension(target=shepherd_root_service_type, compute=_nginx_units),
        ServiceExtension(target=activation_service_type, compute=_nginx_activation),
        ServiceExtension(target=profile_service_type, compute=lambda c: (c.nginx,)),
    ),
    compose=concatenate,
    extend=lambda config, servers: config.replace(
        server_blocks=tuple(config.server_blocks) + tuple(servers)) if servers else config,
    default_value=NginxConfiguration(),
    description="Run the nginx Web server (Debian's nginx.service).")


SPEC_VOCABULARY = (Vocabulary(
    records=(HttpdModule, HttpdConfigFile, HttpdConfiguration, NginxConfiguration,
             NginxServerConfiguration, NginxLocationConfiguration,
             NginxNamedLocationConfiguration, NginxUpstreamConfiguration),
    procedures={"httpd-virtualhost": httpd_virtualhost},
    values={"httpd-service-type": httpd_service_type,
            "nginx-service-type": nginx_service_type,
            "%default-httpd-modules": DEFAULT_HTTPD_MODULES},
    modules=(("gnu", "services", "web"),),
),)
