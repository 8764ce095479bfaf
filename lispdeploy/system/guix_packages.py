"""Guix's package names as Debian's: the table that lets a Guix user's `(packages (list
nss-certs openssh-sans-x git))`, `(specification->package "bind:utils")` and
`(file-append zsh "/bin/zsh")` mean what they say on a Debian host.

Each Guix package variable in `TABLE` is bound in every spec's prelude as a `package` record
of its Debian counterpart (`nss-certs` -> ca-certificates, `openssh-sans-x` ->
openssh-server); `OUTPUTS` maps Guix's package outputs (`isc-bind:utils`) and `SPEC_NAMES`
the package names that differ from the variable names (`make` is `gnu-make`). Debian names
are those of Debian 12 (bookworm); tests/system/test_guix_packages.py checks them against
apt. Imports only the system layer's package record.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

# GUIX-VARIABLE=DEBIAN-PACKAGE, or just the name when both are the same.
TABLE = """
    nss-certs=ca-certificates le-certs=ca-certificates openssh=openssh-server
    openssh-sans-x=openssh-server dropbear mosh autossh sshpass curl wget git git-minimal=git
    git-lfs mercurial subversion rsync vim vim-full=vim neovim emacs emacs-no-x=emacs-nox
    emacs-minimal=emacs-nox nano mg zile htop btop atop iotop iftop nethogs tmux screen zsh
    fish bash bash-completion dash tcsh less lsof strace ltrace gdb tree file which=debianutils
    coreutils findutils grep sed gawk mawk diffutils patch gzip bzip2 xz=xz-utils zstd lz4 lzip
    unzip zip p7zip=p7zip-full tar cpio pigz pv bc jq yq ripgrep fd=fd-find fzf
    the-silver-searcher=silversearcher-ag bat ncdu mc ranger nnn parted gptfdisk=gdisk
    dosfstools e2fsprogs btrfs-progs xfsprogs lvm2 mdadm cryptsetup smartmontools hdparm
    nvme-cli ntfs-3g exfatprogs sshfs nfs-utils=nfs-common cifs-utils util-linux procps psmisc
    sysstat inetutils=inetutils-tools iproute=iproute2 iptables nftables ebtables ipset
    iputils=iputils-ping net-tools ethtool bridge-utils tcpdump wireshark=tshark nmap
    netcat=netcat-openbsd netcat-openbsd socat mtr=mtr-tiny traceroute whois iperf=iperf3
    isc-bind=bind9 isc-dhcp=isc-dhcp-client dnsmasq unbound knot ldns=ldnsutils
    avahi=avahi-daemon openvpn wireguard-tools strongswan tor privoxy squid haproxy nginx
    httpd=apache2 lighttpd varnish certbot openssl libressl=openssl gnutls=gnutls-bin gnupg
    pinentry=pinentry-curses password-store=pass age postgresql postgresql-15
    mariadb=mariadb-server mysql=mariadb-server sqlite=sqlite3 redis=redis-server memcached
    rabbitmq=rabbitmq-server mosquitto prometheus-node-exporter zabbix-agentd=zabbix-agent
    zabbix-server=zabbix-server-pgsql vnstat collectd fcgiwrap php=php-fpm python=python3
    python-3=python3 python-wrapper=python-is-python3 python-minimal=python3-minimal
    python-pip=python3-pip python-virtualenv=python3-virtualenv
    python-requests=python3-requests python-pyyaml=python3-yaml
    python-psycopg2=python3-psycopg2 python-flask=python3-flask python-django=python3-django
    python-numpy=python3-numpy perl ruby node=nodejs node-lts=nodejs go=golang rust=rustc
    gcc-toolchain=build-essential gcc clang llvm gnu-make=make cmake meson ninja=ninja-build
    autoconf automake libtool pkg-config m4 binutils guile-3.0 openjdk=openjdk-17-jdk
    openjdk17=openjdk-17-jdk maven sbcl racket chicken=chicken-bin ghc ocaml erlang elixir
    lua=lua5.4 luajit tcl r-minimal=r-base-core octave docker=docker.io docker-cli=docker.io
    docker-compose containerd podman buildah skopeo runc qemu=qemu-system-x86
    qemu-minimal=qemu-system-x86 libvirt=libvirt-daemon-system virt-manager lxc bubblewrap
    ansible restic borg=borgbackup duplicity rclone rsnapshot rdiff-backup sudo shadow=passwd
    mcron=cron rsyslog fail2ban openldap=slapd nss-pam-ldapd=nslcd sssd mit-krb5=krb5-user
    cyrus-sasl=sasl2-bin dovecot=dovecot-imapd opensmtpd exim=exim4 msmtp mutt neomutt
    fetchmail getmail6 isync rspamd spamassassin clamav prosody ejabberd znc ngircd weechat
    irssi mumble=mumble-server transmission=transmission-daemon syncthing samba cups
    cups-minimal=cups sane-backends=sane-utils gitolite=gitolite3 cgit fossil darcs ffmpeg
    imagemagick graphicsmagick ghostscript pandoc texlive=texlive-full mpd icecast=icecast2
    readymedia=minidlna tzdata glibc-locales=locales-all glibc-utf8-locales=locales
    ncurses=ncurses-bin readline=libreadline8 man-db man-pages=manpages info-reader=info
    texinfo groff aspell hunspell lynx w3m links elinks mailutils moreutils parallel entr
    inotify-tools direnv stow neofetch cowsay hello figlet ed xxd hexedit dos2unix
    recutils pwgen oath-toolkit=oathtool qrencode expect dialog pciutils usbutils lshw
    dmidecode hwinfo inxi lm-sensors acpi acpid tlp powertop cpupower=linux-cpupower kmod
    eudev=udev efibootmgr grub=grub-pc grub-efi=grub-efi-amd64 os-prober memtest86+ fwupd
    linux-libre=linux-image-amd64 chrony ntp openntpd ntpsec earlyoom haveged
    rng-tools=rng-tools5 irqbalance numactl keepalived corosync pacemaker ganeti ceph
    glusterfs=glusterfs-server zfs=zfsutils-linux borgmatic snapper yggdrasil i2pd nebula
    bird=bird2 quagga radvd ndppd hostapd wpa-supplicant=wpasupplicant iw wireless-tools
    network-manager connman dhcpcd ppp minicom picocom lrzsz cloud-utils=cloud-guest-utils
    nix=nix-bin flatpak debootstrap apt-cacher-ng reprepro dpkg rpm shellcheck shfmt
    python-black=black python-pylint=pylint valgrind perf=linux-perf bpftrace sysdig glances
    nmon stress stress-ng fio sysbench siege hyperfine httpie aria2 lftp ncftp vsftpd tftp-hpa
    darkstat bmon speedtest-cli yt-dlp
"""

# GUIX-VARIABLE:OUTPUT=DEBIAN-PACKAGE
OUTPUTS = """
    isc-bind:utils=bind9-dnsutils git:send-email=git-email git:gui=git-gui git:svn=git-svn
    git:credential-netrc=git git:subtree=git postgresql:doc=postgresql-doc isc-dhcp:client=isc-dhcp-client
    glib:bin=libglib2.0-bin gcc:lib=libgcc-s1 openssl:doc=openssl isc-bind:out=bind9
    python:tk=python3-tk python:idle=idle3 mariadb:lib=libmariadb3 mariadb:dev=libmariadb-dev
    icu4c:lib=libicu72 curl:doc=curl git:out=git
"""

# Guix package names (what specification->package takes) that are not the variable's.
SPEC_NAMES = """
    make=gnu-make bind=isc-bind guile=guile-3.0 iproute2=iproute python3=python
    openssh-client=openssh glibc-locales=glibc-locales nodejs=node
"""


def _pairs(text: str) -> Dict[str, str]:
    out = {}
    for item in text.split():
        guix, _, debian = item.partition("=")
        out[guix] = debian or guix
    return out


_table: Optional[Tuple[Dict[str, str], Dict[str, str], Dict[str, str]]] = None


def tables() -> Tuple[Dict[str, str], Dict[str, str], Dict[str, str]]:
    """(variable -> Debian name, "variable:output" -> Debian name, spec name -> variable)."""
    global _table
    if _table is None:
        _table = (_pairs(TABLE), _pairs(OUTPUTS), _pairs(SPEC_NAMES))
    return _table


def debian_name(guix: str, output: str = "out") -> Optional[str]:
    """The Debian package of Guix package (variable or package name) `guix`'s `output`."""
    variables, outputs, spec_names = tables()
    variable = guix if guix in variables else spec_names.get(guix, guix)
    if output and output != "out":
        return outputs.get(f"{variable}:{output}")
    return variables.get(variable)


def guix_names():
    """Every Guix name the table knows (variables and package names)."""
    variables, _, spec_names = tables()
    return sorted(set(variables) | set(spec_names))
