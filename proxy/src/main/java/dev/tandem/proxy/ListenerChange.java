package dev.tandem.proxy;

import dev.tandem.conf.ListenerConfig;
import dev.tandem.proxy.http.ListenerContext;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners' part of a reload. First {@link #open} binds what the new config adds or moves while the
 * listeners in force still serve; then either {@link #commit} closes those it removes or moved away from (their
 * connections finish their requests), or the reload fails and {@link #closeOpened} and {@link #restoreReplaced}
 * leave the listeners as they were.
 */
final class ListenerChange {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final ListenerTable table;
    private final ListenerBinder binder;
    private final Function<ListenerConfig, ListenerContext> contexts;
    private final Map<String, BoundListener> opened = new LinkedHashMap<>();
    private final Map<String, BoundListener> replaced = new LinkedHashMap<>();
    private final Map<String, BoundListener> kept = new LinkedHashMap<>();

    /** @param contexts makes the context a new listener's connections share */
    ListenerChange(ListenerTable table, ListenerBinder binder, Function<ListenerConfig, ListenerContext> contexts) {
        this.table = table;
        this.binder = binder;
        this.contexts = contexts;
    }

    /** Binds the listeners of {@code next} that are new or moved; keeps the others as they are. */
    void open(List<ListenerConfig> next, String nodeName) throws IOException, InterruptedException {
        for (ListenerConfig shared : next) {
            // listeners[].per_node: this node's own bind address, from the one file every node has.
            ListenerConfig l = shared.forNode(nodeName);
            BoundListener current = table.get(l.name());
            if (current == null) {
                opened.put(l.name(), bind(l));
            } else if (!current.config().bind().equals(l.bind()) || current.config().secure() != l.secure()) {
                // Recorded first: a rebind that fails after closing the old socket must get it back.
                replaced.put(l.name(), current);
                opened.put(l.name(), rebind(current, l));
            } else {
                kept.put(l.name(), new BoundListener(l, current.context(), current.channel()));
            }
        }
    }

    /** The reload failed: closes what {@link #open} bound. */
    void closeOpened() {
        for (BoundListener b : opened.values()) {
            b.channel().close().awaitUninterruptibly();
        }
    }

    /** The reload failed: a moved listener whose old socket had to close first gets its old address back. */
    void restoreReplaced() {
        for (BoundListener old : replaced.values()) {
            if (!old.channel().isOpen()) {
                reopen(old);
            }
        }
    }

    /**
     * The reload is in force: closes the listeners {@code next} removes or moved away from, and makes the table
     * {@code next}'s listeners, in its order.
     */
    void commit(List<ListenerConfig> next) throws InterruptedException {
        Set<String> keep = new HashSet<>();
        next.forEach(l -> keep.add(l.name()));
        for (String name : table.names()) {
            if (!keep.contains(name) || replaced.containsKey(name)) {
                table.close(name);
            }
        }
        table.clear();
        for (ListenerConfig l : next) {
            table.put(l.name(), kept.containsKey(l.name()) ? kept.get(l.name()) : opened.get(l.name()));
        }
    }

    private BoundListener bind(ListenerConfig l) throws IOException, InterruptedException {
        return binder.bind(l, contexts.apply(l));
    }

    /**
     * Opens listener {@code l} at its new address while {@code current} still serves the old one. When the
     * two share a port and the system refuses both at once (0.0.0.0:80 to 10.0.0.1:80), the old socket closes
     * first; the caller reopens it if the reload fails later.
     */
    private BoundListener rebind(BoundListener current, ListenerConfig l) throws IOException, InterruptedException {
        try {
            return bind(l);
        } catch (IOException first) {
            if (current.config().bind().port() != l.bind().port()) {
                throw first;
            }
            current.channel().close().sync();
            return bind(l);
        }
    }

    /** Binds the address of {@code old} again for its existing connections' context. */
    private void reopen(BoundListener old) {
        try {
            BoundListener again = binder.bind(old.config(), old.context());
            table.put(old.config().name(), again);
            table.publish();
        } catch (IOException | InterruptedException e) {
            log.error("listener {} could not get {} back: it no longer accepts", old.config().name(), old.config().bind(), e);
        }
    }
}
