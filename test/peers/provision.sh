#!/usr/bin/env bash
# Provision the real Java peers (Apache Flume, Kafka broker, HDFS daemons) from Maven Central.
#
#   test/peers/provision.sh [flume|kafka|hdfs|all]...   resolve (if needed); prints "<peer> <dir>" per peer
#   test/peers/provision.sh classpath <peer>             prints the peer's Java classpath (provisions first)
#
# Layout and invariants:
# * Jars are downloaded by Maven into the default local repository (~/.m2/repository, or whatever the
#   user's settings.xml says), which lives outside the clone, so a fresh clone downloads nothing again.
# * Nothing is copied: each peer gets a classpath file listing absolute jar paths inside ~/.m2. Every peer has its own
#   classpath (Flume carries Kafka 2.7 clients and guava 18; they must never meet the Kafka 3.9 broker or Hadoop).
# * The result lives in ${FLUMEN_PEERS_CACHE:-~/.cache/flumen-peers}/<peer>/<key>/ where <key> hashes every committed
#   input of that peer (pom.xml and *.java). A warm run is a stamp check: no JVM, no Maven.
#   Worktrees or branches with different poms get different keys and never fight over one directory.
# * A per-peer flock serialises parallel test workers; the result is built in a temp dir and renamed into place,
#   so readers never see a half-written classpath.
# * Tiny Java mains (test/peers/<peer>/*.java) are compiled once into <dir>/classes, so callers need not pay the
#   single-file launcher's compile on every run.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${FLUMEN_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flumen-peers}
PEERS=(flume kafka hdfs)

die() { echo "provision: $*" >&2; exit 1; }

key_of() { # $1 = peer; sha256 over the peer's committed inputs that change the result
  (cd "$HERE/$1" && sha256sum pom.xml $(ls ./*.java 2>/dev/null | sort) | sha256sum | cut -c1-16)
}

valid() { # $1 = dir; warm if the stamp exists and every jar on the classpath is still in the Maven repository
  [[ -f $1/stamp && -f $1/classpath ]] || return 1
  local jar
  IFS=: read -r -a jars <"$1/classpath"
  for jar in "${jars[@]}"; do [[ -f $jar ]] || return 1; done
}

provision() { # $1 = peer
  local peer=$1 key dir tmp t0
  [[ -f $HERE/$peer/pom.xml ]] || die "unknown peer '$peer' (known: ${PEERS[*]})"
  key=$(key_of "$peer")
  dir=$CACHE/$peer/$key
  if valid "$dir"; then echo "$peer $dir"; return 0; fi
  mkdir -p "$CACHE/$peer"
  exec 9>"$CACHE/$peer/.lock"
  flock 9 # another worker may be resolving the same peer right now: wait, then re-check
  if valid "$dir"; then exec 9>&-; echo "$peer $dir"; return 0; fi
  t0=$(date +%s%N)
  echo "provision: resolving $peer from Maven Central (key $key)..." >&2
  tmp=$(mktemp -d "$CACHE/$peer/.tmp.XXXXXX")
  # build-classpath resolves (and downloads on first use) the runtime closure; the plugin version, scope and the
  # excluded artifacts are declared in the pom itself so the pom hash covers them.
  if ! mvn -B -q -f "$HERE/$peer/pom.xml" dependency:build-classpath \
    -Dmdep.outputFile="$tmp/classpath" >"$tmp/mvn.log" 2>&1; then
    tail -n 40 "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "maven could not resolve $peer (see above)"
  fi
  [[ -s $tmp/classpath ]] || { rm -rf "$tmp"; die "maven produced an empty classpath for $peer"; }
  if compgen -G "$HERE/$peer/*.java" >/dev/null; then
    mkdir -p "$tmp/classes"
    javac -nowarn -d "$tmp/classes" -cp "$(<"$tmp/classpath")" "$HERE/$peer"/*.java 2>"$tmp/javac.log" ||
      { cat "$tmp/javac.log" >&2; rm -rf "$tmp"; die "javac failed for $peer"; }
  fi
  echo "$key" >"$tmp/stamp"
  chmod 755 "$tmp" # mktemp made it private; other users of a shared cache only need to read it
  rm -rf "$dir"
  mv "$tmp" "$dir"
  exec 9>&-
  echo "provision: $peer ready in $((($(date +%s%N) - t0) / 1000000)) ms: $dir" >&2
  echo "$peer $dir"
}

[[ $# -gt 0 ]] || set -- all
if [[ $1 == classpath ]]; then
  [[ $# -eq 2 ]] || die "usage: $0 classpath <peer>"
  dir=$(provision "$2" | cut -d' ' -f2)
  cp=$(<"$dir/classpath")
  [[ -d $dir/classes ]] && cp="$dir/classes:$cp"
  echo "$cp"
  exit 0
fi
for arg in "$@"; do
  if [[ $arg == all ]]; then
    for p in "${PEERS[@]}"; do provision "$p"; done
  else
    provision "$arg"
  fi
done
