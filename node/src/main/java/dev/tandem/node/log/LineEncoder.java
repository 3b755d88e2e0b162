package dev.tandem.node.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Tandem's log lines on standard error, in one of two shapes:
 * <ul>
 *   <li>under systemd ({@code JOURNAL_STREAM} names standard error: it is connected to the journal), each line starts
 *       with its syslog priority as sd-daemon(3) defines it ({@code <3>} error, {@code <4>} warning, {@code <6>}
 *       info, {@code <7>} debug), so that {@code journalctl -p warning} finds the warnings, and carries no
 *       timestamp, since the journal stamps every line itself;</li>
 *   <li>elsewhere (a terminal, a file, another supervisor), each line starts with its own timestamp.</li>
 * </ul>
 * Every line of a stack trace carries the priority of its event. Repeated warnings and errors of one kind are held
 * back past a burst, and the next line of that kind let through says how many were held (see {@link RepeatLimiter}).
 */
public final class LineEncoder extends EncoderBase<ILoggingEvent> {

    /** Lines of one kind written in a window before the rest of the window's are held back. */
    static final int BURST = 5;
    static final long WINDOW_SECONDS = 10;

    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");

    private final boolean journal;
    private final ZoneId zone;
    private final RepeatLimiter repeats;
    private PatternLayout layout;

    /** The encoder logback.xml names: journal shape when {@code JOURNAL_STREAM} names this standard error. */
    public LineEncoder() {
        this(System.getenv(), standardError(), ZoneId.systemDefault(), System::nanoTime);
    }

    /**
     * @param stderr {@code DEV:INO} of standard error, or null when it cannot be told
     */
    LineEncoder(Map<String, String> env, String stderr, ZoneId zone, LongSupplier nanoClock) {
        this.journal = journal(env.get("JOURNAL_STREAM"), stderr);
        this.zone = zone;
        this.repeats = new RepeatLimiter(BURST, TimeUnit.SECONDS.toNanos(WINDOW_SECONDS), nanoClock);
    }

    boolean journal() {
        return journal;
    }

    /**
     * Whether standard error goes to the journal. systemd sets {@code JOURNAL_STREAM} to the {@code DEV:INO} of
     * the stream it connected; a child whose standard error was redirected since (to a file, a pipe, a
     * terminal) inherits the variable but not the stream, and so is told apart, as systemd.exec(5) advises.
     * When standard error cannot be looked at, the variable alone decides.
     */
    static boolean journal(String journalStream, String stderr) {
        if (journalStream == null || journalStream.isEmpty()) {
            return false;
        }
        return stderr == null || stderr.equals(journalStream.trim());
    }

    /** {@code DEV:INO} of this process's standard error (file descriptor 2), or null where /proc cannot tell. */
    static String standardError() {
        try {
            Path fd = Path.of("/proc/self/fd/2");
            return Files.getAttribute(fd, "unix:dev") + ":" + Files.getAttribute(fd, "unix:ino");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The sd-daemon(3) priority of {@code level}: the syslog severity. */
    static int priority(Level level) {
        if (level.isGreaterOrEqual(Level.ERROR)) {
            return 3;
        }
        if (level.isGreaterOrEqual(Level.WARN)) {
            return 4;
        }
        if (level.isGreaterOrEqual(Level.INFO)) {
            return 6;
        }
        return 7;
    }

    @Override
    public void start() {
        layout = new PatternLayout();
        layout.setContext(getContext());
        layout.setPattern("%-5level %logger{0}: %msg%n%ex");
        layout.start();
        super.start();
    }

    @Override
    public void stop() {
        if (layout != null) {
            layout.stop();
        }
        super.stop();
    }

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        RepeatLimiter.Decision d = RepeatLimiter.Decision.WRITE;
        // Failures are what repeat by the thousand (a server down, for every request); events below WARN are
        // never held back, so that a record of what happened (a VIP's transitions, reloads) stays whole.
        if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
            // Appenders call their encoder under their own lock; this one guards the limiter for any other caller.
            synchronized (repeats) {
                d = repeats.decide(event.getLoggerName() + '\u0000' + event.getMessage());
            }
        }
        if (!d.write()) {
            return new byte[0];
        }
        return format(event, d.heldBefore()).getBytes(StandardCharsets.UTF_8);
    }

    String format(ILoggingEvent event, long heldBefore) {
        String text = layout.doLayout(event);
        if (heldBefore > 0) {
            int eol = text.indexOf('\n');
            String note = " (" + heldBefore + " more like this held back in the last " + WINDOW_SECONDS + "s)";
            text = eol < 0 ? text + note : text.substring(0, eol) + note + text.substring(eol);
        }
        StringBuilder out = new StringBuilder(text.length() + 40);
        String prefix = journal ? "<" + priority(event.getLevel()) + ">" : null;
        int start = 0;
        boolean first = true;
        while (start < text.length()) {
            int eol = text.indexOf('\n', start);
            int end = eol < 0 ? text.length() : eol + 1;
            if (prefix != null) {
                out.append(prefix);
            } else if (first) {
                out.append(TIMESTAMP.format(Instant.ofEpochMilli(event.getTimeStamp()).atZone(zone))).append(' ');
            }
            out.append(text, start, end);
            if (eol < 0) {
                out.append('\n');
            }
            first = false;
            start = end;
        }
        return out.toString();
    }
}
