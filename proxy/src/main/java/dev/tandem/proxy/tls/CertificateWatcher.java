package dev.tandem.proxy.tls;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the directories that hold certificate and key files, and calls back once things have been quiet
 * for a moment after a change. Directories rather than files: a certificate is replaced by writing a
 * temporary file and renaming it over the old one (as the mirror and most ACME clients do), which a watch on
 * the old file would never see. The callback runs on the watcher's own thread, where blocking file reads are
 * fine.
 */
public final class CertificateWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CertificateWatcher.class);

    private final WatchService service;
    private final Duration quiet;
    private final Runnable onChange;
    private final Map<Path, WatchKey> keys = new HashMap<>();
    private final Thread thread;

    public CertificateWatcher(Duration quiet, Runnable onChange) throws IOException {
        this.service = FileSystems.getDefault().newWatchService();
        this.quiet = quiet;
        this.onChange = onChange;
        this.thread = new Thread(this::run, "tandem-cert-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** Watches exactly {@code directories} from now on. */
    public synchronized void watch(Set<Path> directories) {
        keys.entrySet().removeIf(e -> {
            if (directories.contains(e.getKey())) {
                return false;
            }
            e.getValue().cancel();
            return true;
        });
        for (Path dir : directories) {
            if (!keys.containsKey(dir)) {
                try {
                    keys.put(dir, dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                            StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE));
                } catch (IOException e) {
                    log.warn("cannot watch {} for certificate changes ({}): they are read again on config reload",
                            dir, e.getMessage());
                }
            }
        }
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = service.take();
                drain(key);
                // Quiet period: a rename, or a cert and its key written one after the other, are one change.
                WatchKey more;
                while ((more = service.poll(quiet.toMillis(), TimeUnit.MILLISECONDS)) != null) {
                    drain(more);
                }
                try {
                    onChange.run();
                } catch (RuntimeException e) {
                    log.error("certificate reload failed", e);
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // Closed.
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
    }

    @Override
    public void close() {
        try {
            service.close();
        } catch (IOException e) {
            log.debug("closing the certificate watcher: {}", e.toString());
        }
        thread.interrupt();
    }
}
