#!/bin/sh
# Carbon test pack: start script of @@DISPLAY_NAME@@ @@VERSION@@.
# A test double of the Carbon 4.4 bin/wso2server.sh. It checks JAVA_HOME as the product script
# does, then runs the test pack server (Python 3) where the product runs the Java server.
#
# Usage: wso2server.sh [start|stop|restart] [-DworkerNode=true] [-DportOffset=N] [-Dsetup] ...
#   no command   runs the server in the foreground
#   start        runs the server in the background and writes its process id to wso2carbon.pid
#   stop         stops the server that "start" started, waiting up to 30 seconds
#   restart      stop, then start
# Other -D options are passed on and ignored, as the Java server keeps them as system properties.
# CARBON_TEST_PACK_PYTHON names the Python 3 interpreter; the default is python3.

# Resolve the product home from the location of this script, following symbolic links.
script="$0"
while [ -h "$script" ]; do
    link=$(readlink "$script")
    case "$link" in
        /*) script="$link" ;;
        *) script="$(dirname "$script")/$link" ;;
    esac
done
CARBON_HOME=$(cd "$(dirname "$script")/.." && pwd)
export CARBON_HOME

if [ -z "$JAVA_HOME" ]; then
    echo "Error: JAVA_HOME is not set. Set JAVA_HOME to the folder of a Java runtime and start again." >&2
    exit 1
fi
if [ ! -x "$JAVA_HOME/bin/java" ]; then
    echo "Error: JAVA_HOME is $JAVA_HOME, but $JAVA_HOME/bin/java is not an executable file." \
        "Set JAVA_HOME to the folder of a Java runtime and start again." >&2
    exit 1
fi

PID_FILE="$CARBON_HOME/wso2carbon.pid"
PYTHON="${CARBON_TEST_PACK_PYTHON:-python3}"

# Take the command word from anywhere in the arguments and keep the others in order.
command=run
for arg do
    shift
    case "$arg" in
        start | --start | -start) command=start ;;
        stop | --stop | -stop) command=stop ;;
        restart | --restart | -restart) command=restart ;;
        *) set -- "$@" "$arg" ;;
    esac
done

# Replace the current process with the server. Options given on the command line come after
# the defaults below, so they win, as program arguments do over JVM options in the product.
run_server() {
    cd "$CARBON_HOME" || exit 1
    PYTHONPATH="$CARBON_HOME/lib/carbon-test-pack"
    export PYTHONPATH
    exec "$PYTHON" -m carbon_test_server \
    -Dcarbon.home="$CARBON_HOME" \
    -Dcarbon.registry.root=/ \
    -Djava.io.tmpdir="$CARBON_HOME/tmp" \
    -DworkerNode=false \
    "$@"
}

is_running() {
    [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

start_server() {
    if is_running; then
        echo "The server is already running with process id $(cat "$PID_FILE")."
        return 0
    fi
    mkdir -p "$CARBON_HOME/repository/logs"
    run_server "$@" </dev/null >/dev/null 2>>"$CARBON_HOME/repository/logs/wso2carbon-stderr.log" &
    echo "$!" >"$PID_FILE"
    echo "Started the server in the background with process id $!."
}

stop_server() {
    if ! is_running; then
        echo "The server is not running."
        rm -f "$PID_FILE"
        return 0
    fi
    pid=$(cat "$PID_FILE")
    kill -TERM "$pid"
    waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge 300 ]; then
            echo "Error: the server with process id $pid did not stop within 30 seconds." >&2
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    rm -f "$PID_FILE"
    echo "Stopped the server with process id $pid."
}

case "$command" in
    start) start_server "$@" ;;
    stop) stop_server ;;
    restart) stop_server && start_server "$@" ;;
    run) run_server "$@" ;;
esac
