package dev.tandem.proxy.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bounds on bcrypt work: per client address, and one check per header at a time. */
class HtpasswdsTest {

    @TempDir
    Path dir;

    private static String basic(String password) {
        return "Basic " + Base64.getEncoder().encodeToString(("alice:" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void oneClientCannotHaveMoreThanItsShareOfChecksWaiting() throws Exception {
        Path file = dir.resolve("htpasswd");
        // Slow enough that no check ends while the test makes its calls.
        Files.writeString(file, "alice:" + OpenBSDBCrypt.generate("2y", "x".toCharArray(), new byte[16], 12) + "\n");
        InetAddress hostile = InetAddress.getByName("192.0.2.66");
        InetAddress other = InetAddress.getByName("198.51.100.7");
        try (Htpasswds htpasswds = new Htpasswds(Duration.ofHours(1))) {
            Htpasswd h = htpasswds.obtain(file).current();
            List<CompletableFuture<Boolean>> accepted = new ArrayList<>();
            for (int i = 0; i < Htpasswds.PER_CLIENT; i++) {
                String a = basic("guess-" + i);
                accepted.add(htpasswds.verify(h, Htpasswd.key(a), a, hostile));
            }
            accepted.forEach(f -> assertFalse(f.isDone()));
            String over = basic("one-too-many");
            CompletableFuture<Boolean> refused = htpasswds.verify(h, Htpasswd.key(over), over, hostile);
            assertNull(refused.getNow(false), "turned away at once: busy");

            String same = basic("guess-0");
            assertSame(accepted.get(0), htpasswds.verify(h, Htpasswd.key(same), same, other),
                    "a header already being checked is shared, whoever sends it");
            String mine = basic("other-client");
            assertFalse(htpasswds.verify(h, Htpasswd.key(mine), mine, other).isDone(), "another client still gets a check");
            assertEquals(false, accepted.get(0).get());
        }
    }
}
