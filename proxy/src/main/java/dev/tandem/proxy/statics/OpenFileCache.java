package dev.tandem.proxy.statics;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import dev.tandem.conf.OpenFileCacheConfig;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiFunction;

/**
 * Lookups of paths under one static root, kept for {@code valid} (nginx's {@code open_file_cache} and
 * {@code open_file_cache_valid} in one): found files stay open, so a hot file costs no {@code stat} or
 * {@code open} per request, and misses are remembered too, so a site whose every GET tries the disk first
 * does not stat the same missing path on every request.
 *
 * <p>Entries expire {@code valid} after they were looked up, whether used or not; the next request looks
 * again (off the event loop). So a file changed, created or deleted on disk is served as it now is by
 * requests that start at most {@code valid} after the change. A scheduler expires entries on time even
 * when no request comes, so a deleted file's descriptor (and its disk space) is let go promptly.
 *
 * <p>Concurrent misses for one path share one lookup (Caffeine's async cache holds the pending future).
 * The cache holds one reference on each open file; eviction gives it back, and the file closes once the
 * responses still sending it are done.
 */
final class OpenFileCache {

    private final AsyncCache<String, Lookup> cache;
    private final FileLookup lookup;
    private final Executor executor;
    private final BiFunction<String, Executor, CompletableFuture<Lookup>> loader = this::load;
    private volatile boolean closed;

    OpenFileCache(OpenFileCacheConfig config, FileLookup lookup, Executor executor) {
        this.lookup = lookup;
        this.executor = executor;
        this.cache = Caffeine.newBuilder()
                .maximumSize(config.maxEntries())
                .expireAfterWrite(config.valid())
                // Caffeine's own upkeep (eviction, expiry, removal notices) runs on whichever thread touches the
                // cache: it is short, and unlike the lookup executor it can never refuse, so a removal notice,
                // which is what closes a file, cannot be lost. Closing itself is handed to the lookup executor.
                .executor(Runnable::run)
                .scheduler(Scheduler.systemScheduler())
                .removalListener((String key, Lookup value, RemovalCause cause) -> {
                    if (value != null) {
                        value.release();
                    }
                })
                .buildAsync();
    }

    /**
     * The cached lookup of {@code key} (done, or under way on the lookup executor), or null once this cache
     * has been retired by a reload: the caller then uses {@link #once}.
     */
    CompletableFuture<Lookup> get(String key) {
        if (closed) {
            return null;
        }
        CompletableFuture<Lookup> f = cache.get(key, loader);
        if (closed) {
            // Retired while we were adding: take it out again, so that nothing stays open in a dead cache.
            cache.asMap().remove(key, f);
            return null;
        }
        return f;
    }

    /** A lookup outside the cache: the caller owns its references and releases them when done. */
    CompletableFuture<Lookup> once(String key) {
        return load(key, executor);
    }

    /** Drops {@code stale} (a lookup whose file closed under us) so that the next get looks again. */
    void evict(String key, CompletableFuture<Lookup> stale) {
        cache.asMap().remove(key, stale);
    }

    /** Forgets the lookups of {@code keys}: the next request for one of them looks at the disk again. */
    void invalidate(java.util.Collection<String> keys) {
        cache.synchronous().invalidateAll(keys);
    }

    /** Retires this cache: lookups are released (files close once their responses are done). */
    void close() {
        closed = true;
        cache.synchronous().invalidateAll();
        cache.synchronous().cleanUp();
    }

    /** Runs one lookup on the executor; a full executor fails the future with RejectedExecutionException. */
    private CompletableFuture<Lookup> load(String key, Executor ignored) {
        CompletableFuture<Lookup> f = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    f.complete(resolve(key));
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    private Lookup resolve(String key) {
        boolean directory = key.endsWith("/");
        return lookup.resolve(directory ? key.substring(0, key.length() - 1) : key, directory);
    }
}
