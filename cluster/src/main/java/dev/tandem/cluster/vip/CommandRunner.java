package dev.tandem.cluster.vip;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs external commands: to completion with a time limit, or in the background. Never on an event loop. */
public interface CommandRunner {

    /** What a command did: its exit status and what it printed (stdout and stderr together). */
    record Result(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

    /** @throws IOException when the command cannot start, or runs past {@code timeout} (it is then killed) */
    Result run(List<String> command, Map<String, String> environment, Duration timeout) throws IOException;

    default Result run(List<String> command, Duration timeout) throws IOException {
        return run(command, Map.of(), timeout);
    }

    /** Starts {@code command} and returns at once; its output is discarded. The caller ends it. */
    Process start(List<String> command) throws IOException;

    /** The real one: {@link ProcessBuilder}, output read after exit (the commands here print little). */
    static CommandRunner system() {
        return new CommandRunner() {
            @Override
            public Result run(List<String> command, Map<String, String> environment, Duration timeout) throws IOException {
                return runToEnd(command, environment, timeout);
            }

            @Override
            public Process start(List<String> command) throws IOException {
                return new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            }
        };
    }

    /** The most of a command's output kept; the rest is read and thrown away. */
    int MAX_OUTPUT = 64 * 1024;

    private static Result runToEnd(List<String> command, Map<String, String> environment, Duration timeout)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(environment);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        // Read while it runs: a command that prints more than a pipe holds would otherwise wait for a reader,
        // and be killed at its timeout.
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (InputStream in = p.getInputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    int room = MAX_OUTPUT - kept.size();
                    if (room > 0) {
                        kept.write(buf, 0, Math.min(n, room));
                    }
                }
            } catch (IOException e) {
                // the stream closed under it: what was read is kept
            }
        }, "tandem-command-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no answer within " + timeout.toMillis()
                        + "ms (killed)");
            }
            // A child it left behind may hold the output open: take what came.
            reader.join(1000);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + ": interrupted");
        }
        return new Result(p.exitValue(), kept.toString(StandardCharsets.UTF_8).strip());
    }
}
