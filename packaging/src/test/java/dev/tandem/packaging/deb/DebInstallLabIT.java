package dev.tandem.packaging.deb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The .deb installed, run as its unit says, and removed, in a throwaway copy of this machine's root
 * (src/test/lab/deb-lab.sh: an overlay on a tmpfs, in mount, network and PID namespaces of its own, so
 * the real root and network are never touched): dpkg -i (twice), the user and directories postinst makes,
 * ExecStartPre, the starter config serving port 80 as the user tandem with only the unit's capabilities and
 * no new privileges, the access log, a reload on SIGHUP, a stop on SIGTERM with exit 0, a VIP added, announced
 * and released by that same unprivileged process, then dpkg -r and dpkg -P. Needs root; skips, saying why,
 * without it or the tools. Runs after {@code package} (failsafe).
 */
class DebInstallLabIT {

    private static final Logger log = LoggerFactory.getLogger(DebInstallLabIT.class);

    private static Optional<String> unavailable() throws Exception {
        Command id = Command.run("id", "-u");
        if (!id.out().strip().equals("0")) {
            return Optional.of("installing the .deb into a throwaway root needs root (running as uid " + id.out().strip() + ")");
        }
        for (String tool : List.of("unshare", "chroot", "setpriv", "dpkg", "ip", "python3", "curl", "arping")) {
            if (!Command.available(tool)) {
                return Optional.of("the .deb lab needs " + tool + " (apt-get install util-linux coreutils dpkg iproute2 python3 curl iputils-arping)");
            }
        }
        if (!Files.readString(Path.of("/proc/filesystems")).contains("\toverlay\n")) {
            return Optional.of("no overlay file system in this kernel");
        }
        return Optional.empty();
    }

    @Test
    void installRunAsTheUnitSaysAndPurge(@TempDir Path work) throws Exception {
        Optional<String> why = unavailable();
        assumeTrue(why.isEmpty(), () -> "deb lab skipped: " + why.orElse(""));
        Path deb = DebPackage.built().orElseThrow(() -> new AssertionError("no target/tandem_*_all.deb: jdeb did not run"));
        Path mountPoint = Files.createDirectory(work.resolve("lab"));
        Command lab = Command.run(300, List.of("unshare", "--mount", "--net", "--pid", "--fork", "--kill-child",
                "sh", Path.of("src/test/lab/deb-lab.sh").toAbsolutePath().toString(), deb.toString(), mountPoint.toString()));
        log.info("deb lab:\n{}{}", lab.out(), lab.err());
        assertEquals(0, lab.exit(), lab.describe());
        assertTrue(lab.out().contains("ok: VIP added by user tandem"), lab.out());
        assertTrue(lab.out().strip().endsWith("deb lab passed"), lab.out());
    }
}
