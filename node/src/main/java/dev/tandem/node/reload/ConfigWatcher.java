package dev.tandem.node.reload;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the config file and calls back once it has settled. The directory is registered, not the file:
 * editors and deployment tools write a temporary file and rename it over the old one, which replaces the
 * file's inode (an inotify watch on the file itself would go quiet after the first save). But only events
 * that name the config file count: a burst of them (write, then rename, then chmod) is folded into one
 * call once the file has had no event for the quiet period, however busy the rest of the directory is (an
 * access log beside the config, written many times a second, must never hold a reload back).
 *
 * <p>A config file that is a symbolic link to a file elsewhere is not followed: changes to the target do
 * not show (send SIGHUP instead).
 */
public final class ConfigWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);

    private final Path file;
    private final Duration quiet;
    private final Runnable onChange;
    private final WatchService watch;
    private final Thread thread;

    private ConfigWatcher(Path file, Duration quiet, Runnable onChange) throws IOException {
        this.file = file.toAbsolutePath().normalize();
        this.quiet = quiet;
        this.onChange = onChange;
        this.watch = FileSystems.getDefault().newWatchService();
        try {
            this.file.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException | RuntimeException e) {
            watch.close();
            throw e;
        }
        this.thread = new Thread(this::run, "tandem-config-watch");
        this.thread.setDaemon(true);
    }

    /**
     * Starts watching {@code file}.
     *
     * @param quiet    how long the file must stay untouched before {@code onChange} runs
     * @param onChange called on the watcher's thread; should hand the work on rather than do it
     */
    public static ConfigWatcher start(Path file, Duration quiet, Runnable onChange) throws IOException {
        ConfigWatcher w = new ConfigWatcher(file, quiet, onChange);
        w.thread.start();
        log.info("watching {} for changes", w.file);
        return w;
    }

    private void run() {
        try {
            while (true) {
                if (!relevant(watch.take())) {
                    continue;
                }
                // Settle: the call waits until the config file itself has been quiet for the whole period;
                // events of other files in the directory are read and dropped without moving the deadline.
                long deadline = System.nanoTime() + quiet.toNanos();
                long left;
                while ((left = deadline - System.nanoTime()) > 0) {
                    WatchKey key = watch.poll(left, TimeUnit.NANOSECONDS);
                    if (key != null && relevant(key)) {
                        deadline = System.nanoTime() + quiet.toNanos();
                    }
                }
                try {
                    onChange.run();
                } catch (RuntimeException e) {
                    log.error("config change handler failed", e);
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // Stopped.
        }
    }

    /** Consumes {@code key}'s events; true when one of them concerns the config file (or events were lost). */
    private boolean relevant(WatchKey key) {
        boolean hit = false;
        for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                hit = true;
            } else if (event.context() instanceof Path name && name.equals(file.getFileName())) {
                hit = true;
            }
        }
        if (!key.reset()) {
            log.warn("{} can no longer be watched (directory gone?): send SIGHUP to reload", file.getParent());
        }
        return hit;
    }

    @Override
    public void close() {
        try {
            watch.close();
        } catch (IOException e) {
            log.debug("closing the watch service", e);
        }
        thread.interrupt();
    }
}
