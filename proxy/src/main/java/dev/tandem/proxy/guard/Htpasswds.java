package dev.tandem.proxy.guard;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The htpasswd files in force, and the work they cost, off the event loops: one thread looks at every file
 * each {@code interval} and reads again the ones that changed; one thread runs bcrypt, with a short queue.
 * A hostile client can make it verify at most {@link #PER_CLIENT} passwords at a time, and all clients
 * together {@link #QUEUE}: past that a request is answered at once (503, try again) rather than waited on, and
 * the same header is never verified twice at once nor again soon after (see {@link Htpasswd}).
 */
public final class Htpasswds implements AutoCloseable {

    /** bcrypt checks waiting for the verifier; past this, requests that need one are turned away. */
    static final int QUEUE = 64;
    /** bcrypt checks one client address may have waiting at once, so that one client cannot fill the queue. */
    static final int PER_CLIENT = 8;

    private final Duration interval;
    private final Map<Path, HtpasswdFile> files = new ConcurrentHashMap<>();
    /** Checks waiting or running, by client address; an address with none is not in the map. */
    private final Map<InetAddress, Integer> pending = new ConcurrentHashMap<>();
    private ScheduledExecutorService watcher;
    /** Read on the event loops without a lock: set once, with the watcher. */
    private volatile ThreadPoolExecutor verifier;
    private boolean closed;

    public Htpasswds(Duration interval) {
        this.interval = interval;
    }

    /** The file at {@code path}, read now if it is new (blocks: never on an event loop). */
    public synchronized HtpasswdFile obtain(Path path) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        HtpasswdFile f = files.computeIfAbsent(path, HtpasswdFile::new);
        f.refresh();
        if (watcher == null) {
            watcher = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tandem-htpasswd"));
            long ms = Math.max(1, interval.toMillis());
            watcher.scheduleWithFixedDelay(this::refreshAll, ms, ms, TimeUnit.MILLISECONDS);
            verifier = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE),
                    r -> daemon(r, "tandem-bcrypt"), new ThreadPoolExecutor.AbortPolicy());
        }
        return f;
    }

    /** Forgets the files no config in force names. */
    public synchronized void retainOnly(Set<Path> paths) {
        files.keySet().retainAll(paths);
    }

    private void refreshAll() {
        for (HtpasswdFile f : files.values()) {
            f.refresh();
        }
    }

    /**
     * Verifies {@code authorization} from {@code client} against {@code h} on the verifier thread; a check of the
     * same header under way is shared. Completes with null when the verifier is too busy to take it, or this
     * client already has {@link #PER_CLIENT} checks waiting.
     */
    CompletableFuture<Boolean> verify(Htpasswd h, String key, String authorization, InetAddress client) {
        CompletableFuture<Boolean> running = h.inFlight.get(key);
        if (running != null) {
            return running;
        }
        if (pending.merge(client, 1, Integer::sum) > PER_CLIENT) {
            done(client);
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Boolean> mine = new CompletableFuture<>();
        running = h.inFlight.putIfAbsent(key, mine);
        if (running != null) {
            done(client);
            return running;
        }
        ThreadPoolExecutor v = verifier;
        try {
            if (v == null) {
                throw new RejectedExecutionException("no htpasswd file in force");
            }
            v.execute(() -> {
                try {
                    mine.complete(h.verify(key, authorization));
                } catch (RuntimeException e) {
                    mine.complete(false);
                } finally {
                    h.inFlight.remove(key, mine);
                    done(client);
                }
            });
        } catch (RejectedExecutionException e) {
            h.inFlight.remove(key, mine);
            done(client);
            mine.complete(null);
        }
        return mine;
    }

    private void done(InetAddress client) {
        pending.computeIfPresent(client, (k, n) -> n == 1 ? null : n - 1);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (watcher != null) {
            watcher.shutdownNow();
            verifier.shutdownNow();
        }
        files.clear();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
