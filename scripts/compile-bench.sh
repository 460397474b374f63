#!/usr/bin/env bash
# Compile-time benchmark: a generated crate with 200 events (a shared base,
# 10-30 fields each, enums, rules), built four times: with the analytics
# derives (events readable back), with the derives and
# `#[analytics(write_only)]` on every event (no `Deserialize`), with only
# `#[derive(Serialize)]` (the hand-written reference style), and with
# `#[derive(Serialize, Deserialize)]` (what the default derives replace when
# events are also read back, as EventCatalog does). The ratios compare like
# with like: write-only derives / `Serialize`, default derives /
# `Serialize + Deserialize`.
# Reports clean and incremental build times of the crate itself (its
# dependencies are built first and not counted) and the size of its .rlib.
#
#   bash scripts/compile-bench.sh [EVENTS] [RUNS]     (defaults: 200 events, 3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
events=${1:-200}
runs=${2:-3}
work="$root/target/compile-bench"
mkdir -p "$work"

generate() { # $1 = derive | derive_wo | serde | serde_de
  local kind=$1 dir="$work/$1"
  mkdir -p "$dir/src"
  if [ "$kind" = derive ] || [ "$kind" = derive_wo ]; then
    cat > "$dir/Cargo.toml" <<TOML
[package]
name = "bench-events-$(echo "$kind" | tr _ -)"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
analytics-core = { path = "$root/analytics-core" }
[workspace]
TOML
  else
    cat > "$dir/Cargo.toml" <<TOML
[package]
name = "bench-events-$(echo "$kind" | tr _ -)"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
serde = { version = "1", features = ["derive"] }
[workspace]
TOML
  fi
  python3 - "$kind" "$events" > "$dir/src/lib.rs" <<'PY'
import random, sys
kind, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
derive = kind in ("derive", "derive_wo")
write_only = kind == "derive_wo"
serde_derives = "Serialize, Deserialize" if kind == "serde_de" else "Serialize"
out = []
w = out.append
w("#![allow(dead_code)]")
if derive:
    w("use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields};")
else:
    w("use serde::{Deserialize, Serialize};" if kind == "serde_de" else "use serde::Serialize;")
def attr(text):
    if derive: w(text)
def derives(what):
    w("#[derive(%s)]" % (serde_derives if not derive else what))
for e in range(10):
    derives("AnalyticsEnum, Clone, Copy")
    w('#[serde(rename_all = "snake_case")]')
    w("pub enum Kind%d { %s }" % (e, ", ".join("Value%d" % v for v in range(rng.randint(3, 9)))))
derives("AnalyticsFields")
w("pub struct Base {")
for f in range(12):
    attr("    #[analytics(non_empty)]")
    w("    pub base_field_%d: String," % f)
w("    pub started_at_ms: u64,")
w("    pub completed_at_ms: u64,")
w("}")
types = ["String", "Option<String>", "u64", "Option<u64>", "i32", "bool", "Option<bool>", "f64", "Vec<String>"]
for i in range(count):
    w("/// Event number %d." % i)
    derives("AnalyticsEvent")
    extra = ", write_only" if write_only else ""
    attr('#[analytics(name = "bench_event_%d", version = %d%s)]' % (i, rng.randint(1, 3), extra))
    w("pub struct Event%d {" % i)
    if derive:
        w("    #[analytics(flatten)]")
    else:
        w("    #[serde(flatten)]")
    w("    pub base: Base,")
    for f in range(rng.randint(10, 30)):
        t = rng.choice(types + ["Kind%d" % rng.randint(0, 9)])
        if t in ("u64", "Option<u64>") and rng.random() < 0.3:
            attr("    #[analytics(range(min = 0, max = 1000000))]")
        if t == "String" and rng.random() < 0.3:
            attr("    #[analytics(length(min = 1, max = 64))]")
        w("    /// Field %d." % f)
        w("    pub field_%d: %s," % (f, t))
    w("}")
print("\n".join(out))
PY
}

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

declare -A clean incr size
for kind in derive derive_wo serde serde_de; do
  generate "$kind"
  dir="$work/$kind"
  pkg=$(sed -n 's/^name = "\(.*\)"/\1/p' "$dir/Cargo.toml" | head -1)
  (cd "$dir" && cargo build -q 2>/dev/null) # dependencies, not counted
  best_clean=999999; best_incr=999999
  for _ in $(seq "$runs"); do
    (cd "$dir" && cargo clean -q -p "$pkg")
    t0=$(now); (cd "$dir" && cargo build -q); t1=$(now)
    c=$(elapsed "$t0" "$t1")
    echo "// touched $(now)" >> "$dir/src/lib.rs"
    t0=$(now); (cd "$dir" && cargo build -q); t1=$(now)
    i=$(elapsed "$t0" "$t1")
    best_clean=$(python3 -c "print(min($best_clean, $c))")
    best_incr=$(python3 -c "print(min($best_incr, $i))")
  done
  clean[$kind]=$best_clean; incr[$kind]=$best_incr
  rlib=$(ls "$dir"/target/debug/deps/lib${pkg//-/_}-*.rlib | head -1)
  size[$kind]=$(stat -c %s "$rlib")
done

echo
echo "compile time of a crate with $events events (best of $runs, dev profile, dependencies prebuilt)"
printf '%-28s %12s %14s %14s\n' "" "clean (s)" "incremental (s)" "rlib (bytes)"
printf '%-28s %12s %14s %14s\n' "analytics derives" "${clean[derive]}" "${incr[derive]}" "${size[derive]}"
printf '%-28s %12s %14s %14s\n' "derives, write_only" "${clean[derive_wo]}" "${incr[derive_wo]}" "${size[derive_wo]}"
printf '%-28s %12s %14s %14s\n' "#[derive(Serialize)] only" "${clean[serde]}" "${incr[serde]}" "${size[serde]}"
printf '%-28s %12s %14s %14s\n' "Serialize + Deserialize" "${clean[serde_de]}" "${incr[serde_de]}" "${size[serde_de]}"
python3 -c "print(f'ratio write-only derives / Serialize only (goal <= 1.5x clean and incremental, <= 2x rlib): clean {${clean[derive_wo]}/${clean[serde]}:.2f}x, incremental {${incr[derive_wo]}/${incr[serde]}:.2f}x, rlib {${size[derive_wo]}/${size[serde]}:.2f}x')"
python3 -c "print(f'ratio default derives / Serialize + Deserialize (goal <= 0.5x clean): clean {${clean[derive]}/${clean[serde_de]}:.2f}x, incremental {${incr[derive]}/${incr[serde_de]}:.2f}x')"
python3 -c "print(f'ratio default derives / Serialize only: clean {${clean[derive]}/${clean[serde]}:.2f}x, incremental {${incr[derive]}/${incr[serde]}:.2f}x, rlib {${size[derive]}/${size[serde]}:.2f}x')"
