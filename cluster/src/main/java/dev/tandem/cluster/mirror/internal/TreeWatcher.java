package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches every mirrored path for changes (inotify, through {@link WatchService}) and reports the paths
 * touched, in batches, to a {@link Sink}. Directory roots are watched recursively, and a directory that
 * appears is watched as soon as it is seen (its content is reported too: files may be created in it before
 * the watch is in place). A single-file root is watched through its directory, so that an editor's
 * temp-file-then-rename, which replaces the file's inode, still shows. Events lost to a queue overflow are
 * reported as such: the mirror then scans everything. The periodic full scan covers what a watch cannot see
 * (a network file system, the inotify watch limit).
 */
public final class TreeWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TreeWatcher.class);

    /** Told of touched paths, on the watcher's thread; should hand them on at once. */
    public interface Sink {
        void touched(Set<Path> paths, boolean overflow);
    }

    private final Roots roots;
    private final Sink sink;
    private final WatchService watch;
    private final Map<WatchKey, Path> dirs = new ConcurrentHashMap<>();
    /** The roots (or, for a single file, its directory) under watch now. */
    private final Set<Path> watchedRoots = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean warnedLimit;

    public TreeWatcher(Roots roots, Sink sink) throws IOException {
        this.roots = roots;
        this.sink = sink;
        this.watch = FileSystems.getDefault().newWatchService();
        this.thread = new Thread(this::run, "tandem-mirror-watch");
        this.thread.setDaemon(true);
    }

    public void start() {
        for (Roots.Root r : roots.all()) {
            watchRoot(r);
        }
        thread.start();
    }

    /** Watches what of the roots is not watched yet (a root that did not exist, or a lost watch). */
    public void watchRoots() {
        for (Roots.Root r : roots.all()) {
            watchRoot(r);
        }
    }

    private void watchRoot(Roots.Root r) {
        Path p = r.path();
        if (Files.isDirectory(p)) {
            if (watchedRoots.add(p)) {
                watchTree(p);
            }
        } else if (p.getParent() != null && Files.isDirectory(p.getParent()) && watchedRoots.add(p.getParent())) {
            register(p.getParent());
        }
    }

    /** Watches {@code dir} and every directory below it (links not followed). */
    private void watchTree(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    register(d);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.debug("mirror: cannot watch under {}: {}", dir, e.toString());
        }
    }

    private void register(Path dir) {
        try {
            WatchKey key = dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                    StandardWatchEventKinds.ENTRY_MODIFY);
            dirs.put(key, dir);
        } catch (ClosedWatchServiceException e) {
            // closing
        } catch (IOException e) {
            if (!warnedLimit) {
                warnedLimit = true;
                log.warn("mirror: cannot watch {} ({}): changes there are found by the periodic scan only"
                        + " (raise fs.inotify.max_user_watches?)", dir, e.getMessage());
            }
        }
    }

    private void run() {
        try {
            while (true) {
                Set<Path> touched = new HashSet<>();
                boolean overflow = take(watch.take(), touched);
                WatchKey more;
                while ((more = watch.poll()) != null) {
                    overflow |= take(more, touched);
                }
                if (!touched.isEmpty() || overflow) {
                    sink.touched(touched, overflow);
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // stopped
        } catch (RuntimeException e) {
            log.error("mirror: the file watcher failed; changes are found by the periodic scan only", e);
        }
    }

    private boolean take(WatchKey key, Set<Path> touched) {
        Path dir = dirs.get(key);
        boolean overflow = false;
        for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                overflow = true;
                continue;
            }
            if (dir == null || !(event.context() instanceof Path name)) {
                continue;
            }
            if (FileStore.isTemp(name.toString())) {
                continue;
            }
            Path child = dir.resolve(name);
            // In the directory of a single-file root, the other files are not mirrored.
            if (roots.keyOf(child) == null) {
                continue;
            }
            touched.add(child);
            if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                watchTree(child);
            }
        }
        if (!key.reset()) {
            Path gone = dirs.remove(key);
            if (gone != null) {
                watchedRoots.remove(gone);
            }
        }
        return overflow;
    }

    @Override
    public void close() {
        try {
            watch.close();
        } catch (IOException e) {
            log.debug("mirror: closing the watch service", e);
        }
        thread.interrupt();
    }
}
