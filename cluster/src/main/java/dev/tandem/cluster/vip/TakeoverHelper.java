package dev.tandem.cluster.vip;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process started before any takeover and kept waiting ({@code takeover-helper.py}), which adds an IPv4 address
 * through netlink and sends a gratuitous ARP from a packet socket when asked: a takeover then starts no process
 * before the neighbours hear of it. (Starting {@code ip}, then {@code arping}, took 20 to 300 ms on a busy host,
 * the whole of it an outage; keepalived, which does both in its own process, took 1 to 5 ms.)
 *
 * <p>Only a fast path: {@link #call} says whether the helper did it, and the caller does it the slow way
 * otherwise. A helper that has not said it is ready yet is left to start (on a busy host, python took more than a
 * second to, and a node that became master at once had ended it for not answering); one that is ready but does
 * not answer within its time limit is ended, and another one started for the next takeover; one that cannot be
 * started (no {@code python3}) is said once in the log. Thread-safe: one command at a time.
 */
final class TakeoverHelper {

    private static final Logger log = LoggerFactory.getLogger(TakeoverHelper.class);

    /** The program: {@code python3 -c IT}. */
    static final String PROGRAM = IpCommandDriver.program("takeover-helper.py");

    /** Starts the helper process, its stdin and stdout piped. */
    interface Launcher {
        Process start() throws IOException;
    }

    /** The real one: {@code python3 -c PROGRAM}, its errors to this process's. */
    static Launcher python() {
        return () -> new ProcessBuilder(List.of("python3", "-c", PROGRAM))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private final Launcher launcher;
    private final Duration timeout;
    private Process process;
    private OutputStream commands;
    private BlockingQueue<String> answers;
    /** Whether the helper in {@link #process} said it takes commands (set by its reader). */
    private AtomicBoolean ready = new AtomicBoolean();
    private long lastId;
    private boolean unavailableSaid;

    /** @param timeout how long an answer may take before the helper is taken for stuck and ended */
    TakeoverHelper(Launcher launcher, Duration timeout) {
        this.launcher = launcher;
        this.timeout = timeout;
    }

    /** Starts the helper unless it runs, so that the next {@link #call} finds it waiting. */
    synchronized void prepare() {
        if (process != null && process.isAlive()) {
            return;
        }
        end();
        Process p;
        try {
            p = launcher.start();
        } catch (IOException e) {
            if (!unavailableSaid) {
                unavailableSaid = true;
                log.info("takeover helper not available ({}): a takeover adds and announces its address with ip and "
                        + "arping alone, which takes longer", e.getMessage());
            }
            return;
        }
        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        AtomicBoolean said = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line = in.readLine();
                if (!"ready".equals(line)) {
                    return;
                }
                said.set(true);
                while ((line = in.readLine()) != null) {
                    q.add(line);
                }
            } catch (IOException e) {
                // ended with the process
            }
        }, "tandem-takeover-helper");
        reader.setDaemon(true);
        reader.start();
        ready = said;
        process = p;
        commands = p.getOutputStream();
        answers = q;
    }

    /**
     * Asks the helper to do {@code command} ({@code add ADDR PREFIX IFACE}, {@code garp ADDR IFACE},
     * {@code takeover ADDR PREFIX IFACE}: both, in one round trip): true when it
     * did, false when it said it could not (logged), or is not running, or did not answer in time (it is then
     * ended). Starts a helper in the background for the next call when none runs.
     */
    synchronized boolean call(String command) {
        String result = ask(command);
        if (result == null) {
            return false;
        }
        if (!result.equals("ok")) {
            log.warn("takeover helper: {}: {}", command, result);
        }
        return result.equals("ok");
    }

    /**
     * Asks the helper to do {@code command}, as {@link #call} does; its answer ({@code ok}, {@code error MESSAGE},
     * {@code added MESSAGE}), or null when it gave none (not running, still starting, no answer in time).
     */
    synchronized String ask(String command) {
        if (process == null || !process.isAlive()) {
            // Not now: starting one is the very delay this helper saves. The slow way this time, and a helper
            // for the next.
            Thread t = new Thread(this::prepare, "tandem-takeover-helper-start");
            t.setDaemon(true);
            t.start();
            return null;
        }
        if (!ready.get()) {
            return null; // still starting: the slow way this time, and this helper for the next
        }
        long id = ++lastId;
        try {
            commands.write((id + " " + command + "\n").getBytes(StandardCharsets.UTF_8));
            commands.flush();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String answer = answers.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (answer == null) {
                    log.warn("takeover helper: no answer to '{}' within {} ms; starting another", command,
                            timeout.toMillis());
                    end();
                    return null;
                }
                String prefix = id + " ";
                if (!answer.startsWith(prefix)) {
                    continue; // the answer to a command that timed out: that helper is gone, but be safe
                }
                return answer.substring(prefix.length());
            }
        } catch (IOException e) {
            log.warn("takeover helper: cannot ask it '{}' ({}); starting another", command, e.getMessage());
            end();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Whether a helper process runs now and has said it takes commands. */
    synchronized boolean running() {
        return process != null && process.isAlive() && ready.get();
    }

    /** Ends the helper (its stdin closed, then the process ended). */
    synchronized void end() {
        if (process == null) {
            return;
        }
        try {
            commands.close();
        } catch (IOException e) {
            // ended below all the same
        }
        process.destroy();
        process = null;
        commands = null;
        answers = null;
    }
}
