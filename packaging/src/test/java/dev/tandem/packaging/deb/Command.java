package dev.tandem.packaging.deb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A command run to its end, with what it printed; the packaging tests drive dpkg-deb and friends with it. */
public record Command(List<String> argv, int exit, String out, String err) {

    /** Runs {@code argv}, killing it after {@code timeoutSeconds}. */
    public static Command run(long timeoutSeconds, List<String> argv) throws IOException, InterruptedException {
        Path out = Files.createTempFile("tandem-cmd-", ".out");
        Path err = Files.createTempFile("tandem-cmd-", ".err");
        try {
            Process p = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IOException(String.join(" ", argv) + ": still running after " + timeoutSeconds + " s; output: "
                        + Files.readString(out, StandardCharsets.UTF_8) + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Command(List.copyOf(argv), p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    public static Command run(String... argv) throws IOException, InterruptedException {
        return run(60, List.of(argv));
    }

    /** Runs {@code argv}, which must exit 0; its standard output. */
    public static String ok(String... argv) throws IOException, InterruptedException {
        Command c = run(argv);
        if (c.exit != 0) {
            throw new AssertionError(c.describe());
        }
        return c.out;
    }

    /** Whether {@code tool} is on the PATH. */
    public static boolean available(String tool) {
        try {
            return run(10, List.of("sh", "-c", "command -v " + tool)).exit == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public String describe() {
        return String.join(" ", argv) + ": exit " + exit + "\n" + out + err;
    }
}
