package dev.tandem.proxy.statics;

import dev.tandem.conf.OpenFileCacheConfig;
import dev.tandem.conf.StaticConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The static-file machinery of a running proxy: the executor that does file system lookups off the event
 * loops, and one open-file cache per distinct static setup, carried across reloads like the upstream
 * servers are: a reload that keeps a site's root (and what shapes a lookup) keeps its open files, and a
 * setup no config uses any more is retired after the swap.
 *
 * <p>Methods are called from the control thread that compiles and applies configs; lookups and responses
 * use the caches from the event loops.
 */
public final class StaticFiles implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StaticFiles.class);

    /**
     * Lookup threads: enough to overlap a few slow disks, few enough to stay out of the event loops' way.
     * A lookup is a handful of metadata calls, mostly answered from the kernel's dentry and inode caches.
     */
    static final int THREADS = 4;
    /** Lookups waiting for a thread at most; beyond it the disk is not keeping up and requests get 503. */
    static final int QUEUE = 4096;
    /**
     * Memory all sites' small files may take together (see {@link FileLookup}): at the default
     * {@code inline_max} of 16 KiB, 4096 files; beyond it small files are sent with sendfile like the rest.
     */
    static final long INLINE_MEMORY = 64L << 20;

    /** What shapes the result of a lookup; sites whose setups are equal share a cache. */
    record CacheKey(Path root, List<String> index, boolean hidden, boolean precompressed, Map<String, String> mimeTypes,
                    OpenFileCacheConfig openFileCache) {

        static CacheKey of(StaticConfig c) {
            return new CacheKey(c.root(), c.index(), c.hidden(), c.precompressed(), c.mimeTypes(), c.openFileCache());
        }
    }

    private final MeterRegistry meters;
    private final ThreadPoolExecutor executor;
    private final AtomicInteger openFiles = new AtomicInteger();
    private final InlineMemory inlineMemory = new InlineMemory(INLINE_MEMORY);
    private final HttpDates.Clock clock = new HttpDates.Clock();
    private final Map<CacheKey, OpenFileCache> caches = new HashMap<>();
    private final Gauge openFilesGauge;
    private final Gauge inlineGauge;

    public StaticFiles(MeterRegistry meters) {
        this.meters = meters;
        this.executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE),
                new DefaultThreadFactory("tandem-files", true));
        executor.allowCoreThreadTimeOut(true);
        this.openFilesGauge = Gauge.builder("tandem.static.open.files", openFiles, AtomicInteger::get)
                .description("Static files held open or in memory by the open-file caches and the responses sending them")
                .register(meters);
        this.inlineGauge = Gauge.builder("tandem.static.inline.bytes", inlineMemory, InlineMemory::used)
                .description("Bytes of small static files kept in memory (off the heap)")
                .register(meters);
    }

    /** The static path of a site named {@code siteName}, set up as {@code config} says. */
    public synchronized StaticSite site(String siteName, StaticConfig config) {
        OpenFileCache cache = caches.computeIfAbsent(CacheKey.of(config), k -> new OpenFileCache(k.openFileCache(),
                new FileLookup(k.root(), k.index(), k.hidden(), k.precompressed(), new MimeTypes(k.mimeTypes()),
                        executor, openFiles, k.openFileCache().inlineMax(), inlineMemory),
                executor));
        StaticMetrics metrics = new StaticMetrics(meters, siteName);
        return new StaticSite(config, cache, metrics, new FileResponses(config.cacheControl().orElse(null), clock, metrics));
    }

    /**
     * Retires the caches of setups not in {@code live} (those of the config now in force): their files close
     * as soon as the responses still sending them are done.
     */
    public synchronized void retainOnly(Set<StaticConfig> live) {
        Set<CacheKey> keep = new java.util.HashSet<>();
        live.forEach(c -> keep.add(CacheKey.of(c)));
        caches.entrySet().removeIf(e -> {
            if (keep.contains(e.getKey())) {
                return false;
            }
            e.getValue().close();
            return true;
        });
    }

    /**
     * Forgets what the open-file caches know of {@code files}, changed, created or deleted on disk behind their
     * back (by the mirror, which writes a file and then says so): requests for them, for their precompressed
     * originals, and for the directories whose index or existence they decide, look at the disk again at once
     * instead of up to {@code open_file_cache.valid} later. Any thread.
     */
    public void invalidate(java.util.Collection<Path> files) {
        List<Map.Entry<CacheKey, OpenFileCache>> all;
        synchronized (this) {
            all = new java.util.ArrayList<>(caches.entrySet());
        }
        for (Map.Entry<CacheKey, OpenFileCache> e : all) {
            Path root = e.getKey().root().toAbsolutePath().normalize();
            Path real = null;
            try {
                real = root.toRealPath();
            } catch (java.io.IOException ignored) {
                // a root that is not there caches nothing worth forgetting
            }
            Set<String> keys = new java.util.HashSet<>();
            for (Path f : files) {
                Path p = f.toAbsolutePath().normalize();
                Path base = p.startsWith(root) ? root : real != null && p.startsWith(real) ? real : null;
                if (base != null) {
                    keys.addAll(keysOf(base.relativize(p)));
                }
            }
            if (!keys.isEmpty()) {
                e.getValue().invalidate(keys);
            }
        }
    }

    /** The cache keys a file at {@code relative} (under a root) may stand behind. */
    static Set<String> keysOf(Path relative) {
        Set<String> keys = new java.util.LinkedHashSet<>();
        StringBuilder rel = new StringBuilder();
        for (Path name : relative) {
            rel.append(rel.length() == 0 ? "" : "/").append(name);
        }
        String r = rel.toString();
        keys.add(r);
        for (String suffix : List.of(".gz", ".br")) {
            if (r.endsWith(suffix)) {
                keys.add(r.substring(0, r.length() - suffix.length()));
            }
        }
        // Every directory above: its index may be this file, and whether it exists may have changed.
        String d = r;
        while (!d.isEmpty()) {
            int slash = d.lastIndexOf('/');
            d = slash < 0 ? "" : d.substring(0, slash);
            keys.add(d);
            keys.add(d + "/");
        }
        return keys;
    }

    /** Files open or in memory now, cached or being sent. */
    public int openFiles() {
        return openFiles.get();
    }

    /** Bytes of small files in memory now. */
    public long inlineBytes() {
        return inlineMemory.used();
    }

    /**
     * Retires every cache and stops the lookup threads once the lookups and closes under way are done (for
     * a few seconds at most): call it after the event loops stopped, and every file is closed when it returns.
     */
    @Override
    public synchronized void close() {
        caches.values().forEach(OpenFileCache::close);
        caches.clear();
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("static file lookups still running after 5s; {} file(s) still open", openFiles.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        meters.remove(openFilesGauge);
        meters.remove(inlineGauge);
    }
}
