package dev.tandem.node.reload;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Unix signals for a running node: {@code SIGHUP} reloads the config, {@code SIGTERM} and {@code SIGINT}
 * stop gracefully. Uses {@code sun.misc.Signal} (module jdk.unsupported, present in every JDK since 9 and
 * kept on purpose for this use): the JVM otherwise treats SIGHUP as a request to exit, and SIGTERM through
 * shutdown hooks gives no control over the exit status. Handlers run on the JVM's signal thread, so
 * they only hand the work on. The JVM must not run with {@code -Xrs}, which leaves these signals alone.
 */
public final class Signals implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private record Installed(Signal signal, SignalHandler previous) {
    }

    private final List<Installed> installed = new ArrayList<>();

    /**
     * Installs the handlers.
     *
     * @param reload called on SIGHUP
     * @param stop   called on SIGTERM and SIGINT
     */
    public static Signals install(Runnable reload, Runnable stop) {
        Signals s = new Signals();
        s.handle("HUP", reload);
        s.handle("TERM", stop);
        s.handle("INT", stop);
        return s;
    }

    private void handle(String name, Runnable action) {
        try {
            Signal signal = new Signal(name);
            SignalHandler previous = Signal.handle(signal, sig -> {
                log.info("SIG{} received", sig.getName());
                action.run();
            });
            installed.add(new Installed(signal, previous));
            if (previous == SignalHandler.SIG_IGN) {
                // The JVM does not take over a shutdown signal the process was started ignoring (nohup does
                // so for SIGHUP): the handler is recorded but never runs.
                log.warn("SIG{} is ignored in this process (started under nohup, or by a parent that ignores it):"
                        + " it does nothing here; {}", name, name.equals("HUP")
                        ? "reload with POST /api/reload, or let the file watcher see the edit" : "stop the node another way");
            }
        } catch (IllegalArgumentException e) {
            // Taken by the JVM (e.g. under -Xrs) or unknown on this system.
            log.warn("cannot handle SIG{}: {}", name, e.getMessage());
        }
    }

    /** Raises {@code SIG<name>} in this process (as {@code kill -<name>} would). */
    public static void raise(String name) {
        Signal.raise(new Signal(name));
    }

    /** Puts the previous handlers back. */
    @Override
    public void close() {
        for (Installed i : installed) {
            Signal.handle(i.signal(), i.previous());
        }
        installed.clear();
    }
}
