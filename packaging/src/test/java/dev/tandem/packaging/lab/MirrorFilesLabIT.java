package dev.tandem.packaging.lab;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the mirror carries besides the config, between two real Tandem processes in their own namespaces: a
 * certbot-style layout ({@code live/} links into {@code archive/}) behind an HTTPS listener, a static root with
 * links, a limit, and a receiver whose disk is full. n2's static root is on a small tmpfs of its own, with a
 * filler file beside the root that the test removes to free space. Needs root and {@code ip netns}; skips,
 * saying why, without them. Runs after {@code package} (failsafe).
 */
class MirrorFilesLabIT {

    private static final String CONFIG = """
            listeners:
              - {name: http, bind: "0.0.0.0:80"}
              - name: https
                bind: "0.0.0.0:443"
                tls:
                  certificates:
                    - {cert: certs/live/lab/cert.pem, key: certs/live/lab/privkey.pem}
            sites:
              - hosts: ["*"]
                static: {root: disk/www}
                upstream: web
            upstreams:
              web:
                servers: [{address: "127.0.0.1:8001"}]
                timeouts: {connect: 1s, read: 5s, write: 5s}
            cluster:
              nodes: {n1: %1$s.1, n2: %1$s.2}
              secret_file: cluster.key
              advert_interval: 100ms
              state_dir: state-cluster
              mirror:
                paths: [certs, disk/www]
                state_dir: state-mirror
                scan_interval: 1s
                limits: {file_size: 2m}
            """;

    /** The tmpfs under n2's static root: small enough to fill, with a filler beside the root. */
    private static final String DISK_SIZE = "1m";

    private static LabNodes nodes;
    private static Lab lab;
    private static Path work;
    private static Path n2Disk;
    private static Process node1;
    private static Process node2;

    @BeforeAll
    static void buildLab() throws Exception {
        nodes = LabNodes.open("tandem-mirror-files-lab-", 2);
        lab = nodes.lab;
        work = nodes.work;
        try {
            Path certs = Files.createDirectories(work.resolve("pki"));
            for (int i = 1; i <= 2; i++) {
                lab.sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj",
                        "/CN=lab" + i, "-keyout", certs.resolve("privkey" + i + ".pem").toString(), "-out",
                        certs.resolve("cert" + i + ".pem").toString());
            }
            n2Disk = Files.createDirectories(work.resolve("n2/disk"));
            lab.sh("mount", "-t", "tmpfs", "-o", "size=" + DISK_SIZE, "tandem-lab-disk", n2Disk.toString());
            for (String n : List.of("n1", "n2")) {
                Path dir = Files.createDirectories(work.resolve(n));
                Files.copy(nodes.key, dir.resolve("cluster.key"));
                Files.writeString(dir.resolve("tandem.yaml"), CONFIG.formatted(Lab.NET));
                // the same layout on both, as an operator copies it before the first start
                Path archive = Files.createDirectories(dir.resolve("certs/archive/lab"));
                Path live = Files.createDirectories(dir.resolve("certs/live/lab"));
                Files.copy(certs.resolve("cert1.pem"), archive.resolve("cert1.pem"));
                Files.copy(certs.resolve("privkey1.pem"), archive.resolve("privkey1.pem"));
                Files.createSymbolicLink(live.resolve("cert.pem"), Path.of("../../archive/lab/cert1.pem"));
                Files.createSymbolicLink(live.resolve("privkey.pem"), Path.of("../../archive/lab/privkey1.pem"));
                Path www = Files.createDirectories(dir.resolve("disk/www/releases"));
                Files.writeString(www.resolve("v1.txt"), "release one\n");
                Files.createSymbolicLink(www.resolveSibling("current.txt"), Path.of("releases/v1.txt"));
                nodes.backend(nodes.ns(n), n + "-web", "backend", "127.0.0.1", 8001);
            }
            node1 = nodes.run("n1", work.resolve("n1/tandem.yaml"), nodes.log("n1"));
            node2 = nodes.run("n2", work.resolve("n2/tandem.yaml"), nodes.log("n2"));
            await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                    .failFast(() -> !node1.isAlive() || !node2.isAlive())
                    .until(() -> get(Lab.NET + ".2", "/current.txt").equals("release one")
                            && Files.readString(nodes.log("n2")).contains("mirror: first sync")
                            && Files.readString(nodes.log("n1")).contains("mirror: first sync"));
        } catch (Exception | AssertionError e) {
            System.err.println(logs());
            removeLab();
            throw e;
        }
    }

    @AfterAll
    static void removeLab() throws Exception {
        if (nodes != null) {
            nodes.lab.killAll();
            if (n2Disk != null) {
                Lab.run(List.of("umount", "-l", n2Disk.toString()));
            }
            nodes.close(false, "");
            nodes = null;
        }
    }

    private static String logs() {
        return nodes.logs(List.of("n1", "n2"));
    }

    private static String get(String address, String path) throws Exception {
        return lab.output(lab.client, "curl", "-s", "-m", "1", "http://" + address + path).trim();
    }

    /** The certificate n2's HTTPS listener serves, as PEM (python's ssl, in the client's namespace). */
    private static String servedCertificate() throws Exception {
        return lab.output(lab.client, "python3", "-c",
                "import ssl, sys; print(ssl.get_server_certificate((sys.argv[1], 443), timeout=2))", Lab.NET + ".2");
    }

    private static String pemBody(String pem) {
        return pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    }

    private static String metrics(String node) throws Exception {
        return lab.output(nodes.ns(node), "curl", "-s", "-m", "2", "http://127.0.0.1:9090/metrics");
    }

    private static String status(String node) throws Exception {
        return lab.output(nodes.ns(node), "curl", "-s", "-m", "2", "http://127.0.0.1:9090/status");
    }

    /** Points {@code link} at {@code target} as certbot does: a new link renamed over the old one. */
    private static void flip(Path link, String target) throws IOException {
        Path tmp = link.resolveSibling(link.getFileName() + ".tmp-link");
        Files.createSymbolicLink(tmp, Path.of(target));
        Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<Path> temporaryFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().contains(".tandem-mirror-")).toList();
        }
    }

    @Test
    void aCertbotRenewalOnOneNodeIsServedByTheOther() throws Exception {
        String cert1 = Files.readString(work.resolve("pki/cert1.pem"));
        String cert2 = Files.readString(work.resolve("pki/cert2.pem"));
        assertEquals(pemBody(cert1), pemBody(servedCertificate()), "n2 serves the first certificate" + logs());

        // certbot renew on n1: new files in archive/, then the live/ links flipped to them
        Path archive = work.resolve("n1/certs/archive/lab");
        Files.copy(work.resolve("pki/cert2.pem"), archive.resolve("cert2.pem"));
        Files.copy(work.resolve("pki/privkey2.pem"), archive.resolve("privkey2.pem"));
        flip(work.resolve("n1/certs/live/lab/privkey.pem"), "../../archive/lab/privkey2.pem");
        flip(work.resolve("n1/certs/live/lab/cert.pem"), "../../archive/lab/cert2.pem");

        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> pemBody(cert2).equals(pemBody(servedCertificate())));
        Path peerLink = work.resolve("n2/certs/live/lab/cert.pem");
        assertTrue(Files.isSymbolicLink(peerLink), "a link on n2 too");
        assertEquals("../../archive/lab/cert2.pem", Files.readSymbolicLink(peerLink).toString());
        assertTrue(Files.exists(work.resolve("n2/certs/archive/lab/cert1.pem")), "the old files stay, as certbot keeps them");
        assertTrue(Files.readString(nodes.log("n2")).contains("certificate files written by the mirror: reading them again"),
                "the mirror, having flipped the links, has the listener read them again" + logs());

        // a static file that is a link, flipped to a new release: n2 serves the new one
        Path www = work.resolve("n1/disk/www");
        Files.writeString(www.resolve("releases/v2.txt"), "release two\n");
        flip(www.resolve("current.txt"), "releases/v2.txt");
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> get(Lab.NET + ".2", "/current.txt").equals("release two"));
    }

    @Test
    void aFileOverTheSizeLimitIsRefusedAndTheRestGoesOn() throws Exception {
        Path www = work.resolve("n1/disk/www");
        Files.write(www.resolve("too-big.bin"), new byte[3 * 1024 * 1024]);
        Files.writeString(www.resolve("beside-the-big-one.txt"), "small\n");
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> get(Lab.NET + ".2", "/beside-the-big-one.txt").equals("small"));
        await().atMost(10, TimeUnit.SECONDS).until(() -> metrics("n1")
                .contains("tandem_mirror_rejected_total{reason=\"file_too_large\"} 1.0"));
        String log = Files.readString(nodes.log("n1"));
        assertTrue(log.contains("too-big.bin: 3145728 bytes, over the limit of 2097152 bytes a file"), logs());
        assertTrue(status("n1").contains("too-big.bin"), "listed in the status");
        assertFalse(Files.exists(work.resolve("n2/disk/www/too-big.bin")));
        Files.delete(www.resolve("too-big.bin"));
    }

    @Test
    void aFullDiskOnTheReceiverRefusesAFileWholeUntilThereIsRoomAndTheRestGoesOn() throws Exception {
        // leave n2's disk about 150 KiB
        Path filler = n2Disk.resolve("filler");
        Files.write(filler, new byte[870 * 1024]);
        int n2Log = nodes.logLength("n2");
        Path www = work.resolve("n1/disk/www");
        Files.write(www.resolve("large.bin"), new byte[600 * 1024]);     // streamed to a temporary file
        Files.write(www.resolve("medium.bin"), new byte[200 * 1024]);    // received in memory, then written
        Files.writeString(www.resolve("small.txt"), "still here\n");
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> get(Lab.NET + ".2", "/small.txt").equals("still here"));
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> nodes.logSince("n2", n2Log).contains("large.bin from n1: cannot write it")
                        && nodes.logSince("n2", n2Log).contains("medium.bin from n1: cannot write it"));
        assertTrue(metrics("n2").matches("(?s).*tandem_mirror_rejected_total\\{reason=\"write_failed\"} [1-9].*"));
        assertTrue(status("n2").contains("write_failed"), "listed in the status");
        // asked for again at every full exchange (each second), refused again, and never anything of it in place
        await().during(3, TimeUnit.SECONDS).atMost(10, TimeUnit.SECONDS)
                .until(() -> !Files.exists(work.resolve("n2/disk/www/large.bin"), LinkOption.NOFOLLOW_LINKS)
                        && !Files.exists(work.resolve("n2/disk/www/medium.bin"), LinkOption.NOFOLLOW_LINKS));
        // nor left beside it (a temporary file lives only while an attempt runs)
        await().atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20)).until(() -> temporaryFiles(n2Disk).isEmpty());

        Files.delete(filler);
        await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.exists(work.resolve("n2/disk/www/large.bin"))
                        && Files.exists(work.resolve("n2/disk/www/medium.bin")));
        assertEquals(600 * 1024, Files.size(work.resolve("n2/disk/www/large.bin")));
        assertEquals(200 * 1024, Files.size(work.resolve("n2/disk/www/medium.bin")));
        await().atMost(10, TimeUnit.SECONDS).until(() -> !status("n2").contains("write_failed"));
        assertEquals(List.of(), temporaryFiles(n2Disk));
        Files.delete(www.resolve("large.bin"));
        Files.delete(www.resolve("medium.bin"));
    }
}
