package dev.tandem.cluster.dns;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Debian's knot, started for a test as an authoritative server of {@code example.com.} on 127.0.0.1 and a free
 * port, accepting dynamic updates signed with a fresh TSIG key ({@code tandem-key.}, hmac-sha256). The zone holds
 * {@code www A 192.0.2.200}, a record no node created.
 */
public final class KnotServer implements AutoCloseable {

    static final String KNOTD = "/usr/sbin/knotd";
    public static final String FOREIGN = "192.0.2.200";

    final Path dir;
    final int port;
    final String secret;
    final Path keyFile;
    private final Process process;

    public static boolean installed() {
        return Files.isExecutable(Path.of(KNOTD));
    }

    public KnotServer(Path dir) throws IOException {
        this(dir, true);
    }

    /**
     * @param updates false: every update is refused, NOTAUTH (the key may only transfer the zone, so signed
     *                queries are still answered)
     */
    public KnotServer(Path dir, boolean updates) throws IOException {
        this.dir = dir;
        this.port = freePort();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        this.secret = Base64.getEncoder().encodeToString(key);
        this.keyFile = dir.resolve("tsig.key");
        Files.createDirectories(dir.resolve("db"));
        // As keymgr -t writes it: the driver reads the secret line.
        Files.writeString(keyFile, "key:\n  - id: tandem-key.\n    algorithm: hmac-sha256\n    secret: " + secret + "\n");
        Files.writeString(dir.resolve("example.com.zone"), """
                $TTL 300
                @ SOA ns.example.com. admin.example.com. 1 3600 600 86400 60
                @ NS ns.example.com.
                ns A 127.0.0.1
                www A %s
                """.formatted(FOREIGN));
        Files.writeString(dir.resolve("knot.conf"), """
                server:
                    listen: 127.0.0.1@%d
                    rundir: %s
                database:
                    storage: %s
                key:
                  - id: tandem-key.
                    algorithm: hmac-sha256
                    secret: %s
                acl:
                  - id: update
                    key: tandem-key.
                    action: %s
                zone:
                  - domain: example.com.
                    storage: %s
                    file: example.com.zone
                    acl: update
                    zonefile-sync: -1
                """.formatted(port, dir, dir.resolve("db"), secret, updates ? "update" : "transfer", dir));
        process = new ProcessBuilder(KNOTD, "-c", dir.resolve("knot.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("knotd.log").toFile()).start();
        await().atMost(20, TimeUnit.SECONDS).pollInterval(50, TimeUnit.MILLISECONDS)
                .until(() -> Files.readString(dir.resolve("knotd.log")).contains("server started"));
    }

    public int port() {
        return port;
    }

    public Path keyFile() {
        return keyFile;
    }

    /** Free for TCP and UDP on 127.0.0.1. */
    private static int freePort() throws IOException {
        for (int attempt = 0; ; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                port = s.getLocalPort();
            }
            try (DatagramSocket d = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
                return port;
            } catch (IOException taken) {
                if (attempt == 50) {
                    throw taken;
                }
            }
        }
    }

    String log() throws IOException {
        return Files.readString(dir.resolve("knotd.log"));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
