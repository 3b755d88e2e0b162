package dev.tandem.packaging.deb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The .deb that {@code package} built, read with dpkg-deb: control fields, conffiles, maintainer scripts,
 * every file with its mode and owner; then unpacked into a temporary directory, where the launcher (through
 * /usr/bin/tandem) checks the shipped config and {@code systemd-analyze verify} reads the unit. Runs after
 * {@code package} (failsafe); skips without dpkg-deb (not a Debian machine).
 */
class DebPackageIT {

    /** One line of {@code dpkg-deb -c}: mode, owner/group, size, date, time, path, and "-> target" for a link. */
    private static final Pattern ENTRY = Pattern.compile(
            "([dl-][rwxsStT-]{9}) (\\S+)/(\\S+) +\\d+ \\S+ \\S+ \\./(\\S*)(?: -> (\\S+))?");

    private record Entry(String mode, String owner, String group, String link) {
    }

    private static Path deb;
    private static Map<String, Entry> entries;

    @BeforeAll
    static void read() throws Exception {
        assumeTrue(Command.available("dpkg-deb"), "no dpkg-deb here (apt-get install dpkg): the .deb is not examined");
        deb = DebPackage.built().orElseThrow(() -> new AssertionError("no target/tandem_*_all.deb: jdeb did not run"));
        entries = new LinkedHashMap<>();
        for (String line : Command.ok("dpkg-deb", "-c", deb.toString()).split("\n")) {
            Matcher m = ENTRY.matcher(line);
            assertTrue(m.matches(), "unexpected dpkg-deb -c line: " + line);
            entries.put("/" + m.group(4), new Entry(m.group(1), m.group(2), m.group(3), m.group(5)));
        }
    }

    private static String field(String name) throws Exception {
        return Command.ok("dpkg-deb", "-f", deb.toString(), name).strip();
    }

    @Test
    void controlFields() throws Exception {
        assertEquals("tandem", field("Package"));
        assertEquals("all", field("Architecture"));
        assertTrue(field("Version").matches("\\d+\\.\\d+\\.\\d+.*"), field("Version"));
        assertEquals(List.of("default-jre-headless (>= 2:1.17) | java17-runtime-headless", "adduser"), list(field("Depends")));
        assertTrue(list(field("Recommends")).containsAll(List.of("iproute2", "iputils-arping", "nftables")), field("Recommends"));
        assertTrue(field("Maintainer").matches(".+ <.+@.+>"), field("Maintainer"));
        assertTrue(!field("Description").isBlank());
    }

    private static List<String> list(String field) {
        return Stream.of(field.split(",")).map(String::strip).toList();
    }

    @Test
    void conffilesAreTheFilesUnderEtcAndAreShipped() throws Exception {
        List<String> conffiles = Command.ok("dpkg-deb", "-I", deb.toString(), "conffiles").lines().map(String::strip)
                .filter(l -> !l.isEmpty()).toList();
        assertEquals(List.of("/etc/tandem/tandem.yaml", "/etc/default/tandem", "/etc/logrotate.d/tandem"), conffiles);
        Set<String> underEtc = entries.entrySet().stream()
                .filter(e -> e.getKey().startsWith("/etc/") && e.getValue().mode().startsWith("-"))
                .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(conffiles), underEtc, "every file under /etc is a conffile, and every conffile is shipped");
    }

    @Test
    void filesModesAndOwners() {
        expect("/usr/share/tandem/bin/tandem", "-rwxr-xr-x");
        expect("/etc/tandem/tandem.yaml", "-rw-r--r--");
        expect("/etc/default/tandem", "-rw-r--r--");
        expect("/etc/logrotate.d/tandem", "-rw-r--r--");
        expect("/lib/systemd/system/tandem.service", "-rw-r--r--");
        expect("/var/lib/tandem/", "drwxr-xr-x");
        expect("/var/log/tandem/", "drwxr-xr-x");
        Entry link = entries.get("/usr/bin/tandem");
        assertTrue(link != null && link.mode().startsWith("l"), "/usr/bin/tandem is a symbolic link: " + link);
        assertEquals("../share/tandem/bin/tandem", link.link());
        entries.forEach((path, e) -> {
            assertEquals("root", e.owner(), path);
            assertEquals("root", e.group(), path);
            if (e.mode().startsWith("-")) {
                assertTrue(e.mode().equals("-rw-r--r--") || e.mode().equals("-rwxr-xr-x"), path + " " + e.mode());
            }
        });
    }

    private static void expect(String path, String mode) {
        Entry e = entries.get(path);
        assertTrue(e != null, path + " is not in the package");
        assertEquals(mode, e.mode(), path);
    }

    @Test
    void theLibDirectoryIsTheDistributionsLib() throws Exception {
        Set<String> shipped = entries.keySet().stream().filter(p -> p.startsWith("/usr/share/tandem/lib/") && p.endsWith(".jar"))
                .map(p -> p.substring("/usr/share/tandem/lib/".length())).collect(Collectors.toCollection(TreeSet::new));
        Set<String> dist;
        try (Stream<Path> jars = Files.list(deb.resolveSibling("tandem/lib"))) {
            dist = jars.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(dist, shipped);
        assertTrue(shipped.stream().anyMatch(j -> j.startsWith("tandem-node-")), shipped.toString());
        // The packaging module has no classes of its own: its (empty) jar is not part of the distribution.
        assertTrue(shipped.stream().noneMatch(j -> j.startsWith("tandem-packaging-")), shipped.toString());
    }

    @Test
    void maintainerScriptsAreExecutableShellThatParses(@TempDir Path control) throws Exception {
        Command.ok("dpkg-deb", "-e", deb.toString(), control.toString());
        for (String script : List.of("postinst", "prerm", "postrm")) {
            Path file = control.resolve(script);
            assertTrue(Files.isExecutable(file), script + " is not executable");
            assertTrue(Files.readString(file, StandardCharsets.UTF_8).startsWith("#!/bin/sh\n"), script);
            Command.ok("sh", "-n", file.toString());
        }
        assertTrue(Files.readString(control.resolve("postinst")).contains("adduser --system"), "postinst makes the user");
    }

    @Test
    void unpackedTheLauncherChecksTheShippedConfigThroughUsrBin(@TempDir Path root) throws Exception {
        Command.ok("dpkg-deb", "-x", deb.toString(), root.toString());
        Path config = root.resolve("etc/tandem/tandem.yaml");
        // The symbolic link, as /usr/bin/tandem is called, with the JVM options the unit gives the check.
        Command check = Command.run(60, List.of("env", "TANDEM_JAVA_OPTS=", root.resolve("usr/bin/tandem").toString(),
                "check", config.toString()));
        assertEquals(0, check.exit(), check.describe());
        assertEquals(config + ": ok", check.out().strip());
    }

    @Test
    void unpackedTheUnitsCleanupAcceptsTheShippedConfig(@TempDir Path root) throws Exception {
        Command.ok("dpkg-deb", "-x", deb.toString(), root.toString());
        // ExecStopPost runs after every stop: a cleanup that failed on the shipped config (no cluster) would mark
        // each stop of the service as failed.
        Command cleanup = Command.run(60, List.of("env", "TANDEM_JAVA_OPTS=", root.resolve("usr/bin/tandem").toString(),
                "cleanup", "--config", root.resolve("etc/tandem/tandem.yaml").toString(), "--node", "nothing-here"));
        assertEquals(0, cleanup.exit(), cleanup.describe());
        assertTrue(cleanup.out().contains("nothing left"), cleanup.describe());
    }

    @Test
    void systemdAnalyzeVerifiesTheUnit(@TempDir Path root) throws Exception {
        assumeTrue(Command.available("systemd-analyze"), "no systemd-analyze here (apt-get install systemd): the unit is not verified");
        Command.ok("dpkg-deb", "-x", deb.toString(), root.toString());
        // verify also checks that every Exec command exists: point the package's own at the unpacked copy
        // (/bin/kill and /usr/bin/env are this machine's).
        String unit = Files.readString(root.resolve("lib/systemd/system/tandem.service"), StandardCharsets.UTF_8)
                .replace("/usr/bin/tandem", root.resolve("usr/bin/tandem").toString());
        Path dir = Files.createDirectory(root.resolve("verify"));
        Path copy = dir.resolve("tandem.service");
        Files.writeString(copy, unit, StandardCharsets.UTF_8);
        Command verify = Command.run(60, List.of("systemd-analyze", "verify", copy.toString()));
        // Unknown keys and bad values are only warnings: any output fails.
        assertEquals(0, verify.exit(), verify.describe());
        assertEquals("", (verify.out() + verify.err()).strip(), verify.describe());
    }
}
