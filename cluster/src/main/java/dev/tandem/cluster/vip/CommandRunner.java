package dev.tandem.cluster.vip;

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

    private static Result runToEnd(List<String> command, Map<String, String> environment, Duration timeout)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(environment);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no answer within " + timeout.toMillis()
                        + "ms (killed)");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + ": interrupted");
        }
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8).strip();
        }
        return new Result(p.exitValue(), output);
    }
}
