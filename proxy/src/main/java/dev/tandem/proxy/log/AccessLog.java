package dev.tandem.proxy.log;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.ZoneId;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MpscArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log. Event loops hand finished requests to a bounded lock-free queue and never wait: when the
 * queue is full (the disk cannot keep up) the entry is dropped and counted. One thread formats and writes.
 * A file that was moved away (log rotation) is noticed within a second and reopened at its path.
 */
public final class AccessLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
    private static final int CAPACITY = 65_536;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long ROTATION_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final MpscArrayQueue<AccessLogEntry> queue = new MpscArrayQueue<>(CAPACITY);
    private final Path path;
    private final AccessLogFormat format = new AccessLogFormat(ZoneId.systemDefault());
    private final Counter written;
    private final Counter dropped;
    private final Thread writer;
    private volatile boolean running = true;
    private Writer out;
    private Object fileKey;

    /** @param path the file to append to, or null for standard output */
    public AccessLog(Path path, MeterRegistry meters) throws IOException {
        this.path = path;
        this.written = Counter.builder("tandem.access.log.lines").description("Access log lines written")
                .register(meters);
        this.dropped = Counter.builder("tandem.access.log.dropped")
                .description("Access log lines dropped because the writer fell behind").register(meters);
        open();
        this.writer = new Thread(this::run, "tandem-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** Queues {@code entry}; never blocks. */
    public void log(AccessLogEntry entry) {
        if (!queue.relaxedOffer(entry)) {
            dropped.increment();
        }
    }

    private void open() throws IOException {
        if (path == null) {
            out = new OutputStreamWriter(nonClosing(System.out), StandardCharsets.UTF_8);
            return;
        }
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        out = new OutputStreamWriter(Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE), StandardCharsets.UTF_8);
        fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    private void run() {
        StringBuilder line = new StringBuilder(256);
        long nextRotationCheck = System.nanoTime() + ROTATION_CHECK_NANOS;
        while (running || !queue.isEmpty()) {
            AccessLogEntry e = queue.relaxedPoll();
            if (e != null) {
                line.setLength(0);
                format.format(e, line);
                write(line);
                continue;
            }
            flush();
            long now = System.nanoTime();
            if (now - nextRotationCheck >= 0) {
                nextRotationCheck = now + ROTATION_CHECK_NANOS;
                reopenIfMoved();
            }
            if (running) {
                LockSupport.parkNanos(IDLE_PARK_NANOS);
            }
        }
        flush();
    }

    private void write(CharSequence line) {
        try {
            out.append(line);
            written.increment();
        } catch (IOException ex) {
            dropped.increment();
            log.warn("access log write failed: {}", ex.toString());
        }
    }

    private void flush() {
        try {
            out.flush();
        } catch (IOException ex) {
            log.warn("access log flush failed: {}", ex.toString());
        }
    }

    private void reopenIfMoved() {
        if (path == null) {
            return;
        }
        try {
            Object current = Files.exists(path) ? Files.readAttributes(path, BasicFileAttributes.class).fileKey() : null;
            if (current == null || !current.equals(fileKey)) {
                out.close();
                open();
                log.info("access log reopened: {}", path);
            }
        } catch (IOException ex) {
            log.warn("access log reopen failed: {}", ex.toString());
        }
    }

    /** Writes what is queued, then stops the writer. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(5));
            if (path != null) {
                out.close();
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (IOException ex) {
            log.warn("access log close failed: {}", ex.toString());
        }
    }

    private static OutputStream nonClosing(OutputStream o) {
        return new java.io.FilterOutputStream(o) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }
}
