#!/bin/bash
# lifeline.sh COMMAND [ARGS...]: runs a server for a test so that it dies
# with the test process, however that process ends (a failed expectation, a
# trap, SIGKILL, a CI time-out). Standard input is the read end of a pipe
# whose write end only the test process holds (see Lifeline.swift): EOF
# there means the test process is gone. COMMAND keeps this shell's pid
# (exec), so the test's own kill reaches it directly; the watcher kills it
# only if that pid still is the process it started (same start time in
# /proc/PID/stat: pids are reused).
me=$$
born=$(cut -d' ' -f22 "/proc/$me/stat")
exec 3<&0
(
    # Keep nothing else the test process handed down: Foundation learns that
    # its child ended when the last copy of a socket it gave the child closes.
    for fd in /proc/$BASHPID/fd/*; do
        n=${fd##*/}
        [[ $n -gt 3 ]] && eval "exec $n>&-"
    done
    cat <&3 >/dev/null
    [[ "$(cut -d' ' -f22 "/proc/$me/stat" 2>/dev/null)" == "$born" ]] && kill -KILL "$me" 2>/dev/null
) </dev/null >/dev/null 2>&1 &
exec "$@" </dev/null 3<&-
