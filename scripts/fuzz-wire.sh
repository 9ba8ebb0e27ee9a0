#!/usr/bin/env bash
# libFuzzer on the frame decoder: scripts/fuzz-wire.sh [SECONDS] (default 5).
# Compiles Fuzz/WireFuzz.swift with the Wire sources and the few types they name into one
# instrumented executable (seconds, no package rebuild), seeds a corpus with one valid
# frame of every message type (written by the XCTest WireFuzzTests when present, else
# empty) and runs for SECONDS. A crash leaves crash-* in .build/fuzz and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-5}"
out=.build/fuzz
mkdir -p "$out/src" "$out/corpus"
rm -f "$out/src"/*.swift
# The Wire files and the files defining the vocabulary they use, wherever it lives.
files=(Sources/FluidCluster/Wire/*.swift Sources/FluidVocabulary/*.swift)
for sym in 'enum ModelKind' 'enum CNN ' 'enum Role:' 'enum Plan:' 'enum Mode:'; do
    f=$(grep -rlE "(public|package) $sym" Sources | head -1)
    [[ -n "$f" ]] && files+=("$f")
done
# The network's geometry (CNN's derived sizes) lives beside CNN.
files+=(Sources/FluidModel/Network/CNN+Geometry.swift)
for f in $(printf '%s\n' "${files[@]}" | sort -u); do
    # One module: drop imports of the project's own modules.
    sed -E '/^(@_exported )?import Fluid/d' "$f" > "$out/src/$(echo "$f" | tr '/' '_')"
done
echo "@_exported import Foundation" > "$out/src/exports.swift"
swiftc -O -sanitize=fuzzer -parse-as-library -module-name WireFuzz -package-name WireFuzz \
    "$out"/src/*.swift Fuzz/WireFuzz.swift -o "$out/wire-fuzz" 2> "$out/build.log" || { cat "$out/build.log"; exit 1; }
# Seeds: one valid frame of every message type (layouts of Message+Codec.swift), so the
# mutations start past the magic and version.
python3 - "$out/corpus" <<'PY'
import struct, sys, os
d = sys.argv[1]
def s(t): b = t.encode(); return struct.pack(">I", len(b)) + b
def frame(t, p): return b"FD" + bytes([1, t]) + struct.pack(">I", len(p)) + p
img = bytes(784)
seeds = {
 "hello": frame(1, bytes([1, 2, 2]) + s("ab") + s("n") + struct.pack(">QQ", 3, 9) + b"\0"),
 "refuse": frame(2, s("no")),
 "heartbeat": frame(3, struct.pack(">QQQQ", 1, 2, 3, 4)),
 "plan": frame(4, struct.pack(">Q", 5) + bytes([0, 0, 0, 1, 0]) + s("r")),
 "ack": frame(5, struct.pack(">Q", 5) + bytes([0, 1])),
 "mode": frame(6, b"\1"),
 "request": frame(7, struct.pack(">IQ", 1, 7) + img),
 "answer": frame(8, b"\0" + struct.pack(">IQ", 1, 7) + b"\3"),
 "reject": frame(9, struct.pack(">IQ", 1, 7)),
 "jointImages": frame(10, struct.pack(">QQI", 1, 2, 1) + img),
 "jointActivations": frame(11, struct.pack(">Q", 1) + b"\2" + struct.pack(">I", 2) + bytes(8)),
 "jointPartial": frame(12, struct.pack(">QI", 1, 10) + bytes(40)),
}
for k, v in seeds.items():
    open(os.path.join(d, "seed-" + k), "wb").write(v)
PY
cd "$out"
SWIFT_BACKTRACE=enable=no ./wire-fuzz -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 corpus > run.log 2>&1 || { tail -30 run.log; exit 1; }
tail -8 run.log
