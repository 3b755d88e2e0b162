#!/usr/bin/env bash
# Seed 004's recipe, as its author describes it, for comparison with Tandem's DNS failover: a script on the
# BACKUP server that polls the PRIMARY every INTERVAL seconds (cron's "every few minutes"; 60 s here), keeps the
# previous state in a file, and on "was up, is now down" asks the SPARE servers whether they can contact the
# primary before it rewrites the DNS record (nsupdate with a TSIG key, a low TTL):
#
#   PRIMARY was up and is still up - do nothing
#   PRIMARY was up and is now down: check with SPARE servers:
#     cannot contact SPARES - internet probably down at BACKUP - do nothing
#     at least 1 SPARE reports PRIMARY up - network issues - do nothing
#     otherwise - update DNS and log
#   PRIMARY was down and is still down - do nothing
#   PRIMARY was down and is back up - update DNS and log
#
# Usage: seed004-failover.sh --primary ADDR --self ADDR --spares "URL..." --server IP --name NAME --ttl S
#                            --key hmac-sha256:NAME:SECRET --state FILE [--interval 60]
# Each spare answers GET URL/check?host=ADDR with "up" or "down" (benchmarks/lib/spare_check.py). Logs one
# line per poll that changes something, with a timestamp in seconds (date +%s.%N), on stdout.
set -uo pipefail

interval=60
while (($#)); do
  case $1 in
    --primary) primary=$2 ;;
    --self) self=$2 ;;
    --spares) spares=$2 ;;
    --server) server=$2 ;;
    --name) name=$2 ;;
    --ttl) ttl=$2 ;;
    --key) key=$2 ;;
    --state) state=$2 ;;
    --interval) interval=$2 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
  shift 2
done

say() { echo "$(date +%s.%N) $*"; }

# The heartbeat: the primary's web server answers (the whole server, not just a port, is what matters here).
primary_up() { curl -fs -o /dev/null -m 5 "http://$primary/"; }

point_at() { # from to
  printf 'server %s 53\nupdate delete %s A %s\nupdate add %s %s A %s\nsend\n' "$server" "$name" "$1" "$name" "$ttl" "$2" \
    | nsupdate -y "$key"
}

[[ -f $state ]] || echo up >"$state"
while :; do
  was=$(cat "$state")
  if primary_up; then now=up; else now=down; fi
  if [[ $was == up && $now == down ]]; then
    reached=0 said_up=0
    for s in $spares; do
      if answer=$(curl -fs -m 5 "$s/check?host=$primary"); then
        reached=$((reached + 1))
        [[ $answer == up ]] && said_up=$((said_up + 1))
      fi
    done
    if ((reached == 0)); then
      say "primary down, no spare answers: internet probably down here: nothing done"
    elif ((said_up > 0)); then
      say "primary down from here, $said_up spare(s) reach it: network issues: nothing done"
    elif point_at "$primary" "$self"; then
      say "primary down, confirmed by $reached spare(s): $name now $self"
      echo down >"$state"
    else
      say "primary down: the DNS update failed"
    fi
  elif [[ $was == down && $now == up ]]; then
    if point_at "$self" "$primary"; then
      say "primary back: $name now $primary"
      echo up >"$state"
    fi
  fi
  sleep "$interval"
done
