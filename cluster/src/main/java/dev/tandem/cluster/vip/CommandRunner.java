package dev.tandem.cluster.vip;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs an external command with a time limit. Blocking; never call it on an event loop. */
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

    /** The real one: {@link ProcessBuilder}, output read after exit (the commands here print little). */
    static CommandRunner system() {
        return (command, environment, timeout) -> {
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
        };
    }
}
