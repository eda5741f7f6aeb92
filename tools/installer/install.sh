#!/bin/sh
# Kindcheck: install (or update) from this folder, without internet. No package index is asked:
# pip installs only the wheels in ./wheels, each checked against its SHA-256 in requirements.lock.
#
#   sh install.sh                   install for this user
#   sh install.sh --no-modify-path  do not add ~/.local/bin to PATH in ~/.profile / ~/.zprofile
#   sh install.sh --uninstall       remove the program (your vault and backups stay)
#
# The program goes to ~/.local/share/kindcheck-app (KINDCHECK_HOME to change), the launcher to
# ~/.local/bin/kindcheck (KINDCHECK_BIN to change). PYTHON=/path/to/python3.12 picks a Python.
# Your vault lives elsewhere (kindcheck --help says where) and is never touched.
set -eu

pythons="@PYTHONS@"
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
app_home=${KINDCHECK_HOME:-"${XDG_DATA_HOME:-$HOME/.local/share}/kindcheck-app"}
bin_dir=${KINDCHECK_BIN:-"$HOME/.local/bin"}
launcher="$bin_dir/kindcheck"
marker="# added by the Kindcheck installer"

say() { printf '%s\n' "$*"; }
fail() {
    printf 'kindcheck install: %s\n' "$*" >&2
    exit 1
}

modify_path=yes
action=install
for argument in "$@"; do
    case $argument in
    --no-modify-path) modify_path=no ;;
    --uninstall) action=uninstall ;;
    -h | --help)
        sed -n '2,12s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *) fail "unknown option $argument (see sh install.sh --help)" ;;
    esac
done

ours() {
    # Is the launcher a link into our own folder (so we may replace or remove it)?
    [ -L "$launcher" ] || return 1
    case $(readlink "$launcher") in "$app_home"/*) return 0 ;; *) return 1 ;; esac
}

if [ "$action" = uninstall ]; then
    if ours; then rm -f "$launcher"; fi
    rm -rf "$app_home"
    say "Kindcheck is removed. Your vault and backups are still there."
    exit 0
fi

version_of() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

find_python() {
    if [ -n "${PYTHON:-}" ]; then
        set -- "$PYTHON"
    else
        set --
        for version in $pythons; do set -- "$@" "python$version"; done
        set -- "$@" python3
    fi
    for candidate in "$@"; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        found=$(version_of "$candidate") || continue
        for version in $pythons; do
            if [ "$found" = "$version" ]; then
                command -v "$candidate"
                return 0
            fi
        done
    done
    return 1
}

python=$(find_python) || fail "this bundle needs Python $(printf '%s' "$pythons" | sed 's/ / or /g'),
which was not found. Install one (python.org, or your package manager), or name it:
PYTHON=/path/to/python3.12 sh install.sh"

if [ -e "$launcher" ] || [ -L "$launcher" ]; then
    ours || fail "$launcher exists and was not made by this installer; remove it first"
fi

# A fresh environment each time, switched to only when it works: a failed update leaves the
# installed version as it was. (A venv cannot be moved, so it is made where it will stay.)
mkdir -p "$app_home" "$bin_dir"
venv="$app_home/venv-$(date +%Y%m%d%H%M%S)-$$"
"$python" -m venv "$venv" || fail "could not make a virtual environment with $python
(on Debian or Ubuntu: sudo apt install python3-venv)"
# Self-contained: no pip.conf and no PIP_* variable of this machine (an index, a proxy, a
# constraint file) is read.
if ! PIP_CONFIG_FILE=/dev/null "$venv/bin/python" -m pip --isolated install --quiet --no-input \
    --disable-pip-version-check --no-index --find-links "$here/wheels" --require-hashes \
    --only-binary :all: --no-cache-dir --requirement "$here/requirements.lock"; then
    rm -rf "$venv"
    fail "installing the wheels failed (see above); nothing was changed"
fi
installed=$("$venv/bin/kindcheck" --version) || {
    rm -rf "$venv"
    fail "the installed kindcheck does not start; nothing was changed"
}

ln -sfn "$venv/bin/kindcheck" "$launcher"
for old in "$app_home"/venv-*; do
    [ "$old" = "$venv" ] || rm -rf "$old"
done
say "$installed is installed: $launcher"

case ":$PATH:" in
*":$bin_dir:"*) ;;
*)
    if [ "$modify_path" = yes ]; then
        line="export PATH=\"$bin_dir:\$PATH\" $marker"
        add_to() { grep -qF "$marker" "$1" 2>/dev/null || printf '\n%s\n' "$line" >>"$1"; }
        add_to "$HOME/.profile"
        if [ -f "$HOME/.bash_profile" ]; then add_to "$HOME/.bash_profile"; fi
        if [ "$(uname -s)" = Darwin ] || [ -f "$HOME/.zprofile" ]; then
            add_to "$HOME/.zprofile" # zsh, the macOS default, skips ~/.profile
        fi
        say "$bin_dir is added to your PATH: open a new terminal, then type kindcheck"
    else
        say "$bin_dir is not on your PATH: start it as $launcher"
    fi
    ;;
esac
