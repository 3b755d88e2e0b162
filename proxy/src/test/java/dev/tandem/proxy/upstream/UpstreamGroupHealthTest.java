package dev.tandem.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.Balance;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.PassiveConfig;
import dev.tandem.conf.ServerConfig;
import dev.tandem.conf.UpstreamConfig;
import dev.tandem.conf.UpstreamTimeouts;
import dev.tandem.health.ActiveState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How active and passive health combine when {@link UpstreamGroup#select} picks a server. */
class UpstreamGroupHealthTest {

    private static final long NOW = 1_000_000_000L;
    private static final Duration FAIL_TIMEOUT = Duration.ofSeconds(10);

    private final ServerRegistry registry = new ServerRegistry(new SimpleMeterRegistry());
    private final List<UpstreamServer> primaries = new ArrayList<>();
    private final List<UpstreamServer> backups = new ArrayList<>();

    private UpstreamServer server(int port, boolean backup) {
        ServerConfig c = new ServerConfig(new HostPort("127.0.0.1", port), 1, backup);
        List<UpstreamServer> role = backup ? backups : primaries;
        UpstreamServer s = new UpstreamServer(c, new InetSocketAddress("127.0.0.1", port),
                registry.obtain(new ServerKey("web", c.address())), role.size());
        role.add(s);
        return s;
    }

    private UpstreamGroup group() {
        List<ServerConfig> all = new ArrayList<>();
        primaries.forEach(s -> all.add(s.config()));
        backups.forEach(s -> all.add(s.config()));
        UpstreamConfig c = new UpstreamConfig("web", Balance.WEIGHTED_ROUND_ROBIN, all, 8, Duration.ofSeconds(60),
                new UpstreamTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)),
                new PassiveConfig(1, FAIL_TIMEOUT), 2, Optional.empty());
        return new UpstreamGroup(c, primaries, backups, 1);
    }

    private static void passivelyDown(UpstreamServer s) {
        assertTrue(s.state().health().passive().recordFailure(NOW, 1, FAIL_TIMEOUT.toNanos()));
    }

    private static UpstreamServer pick(UpstreamGroup g) {
        return g.select(0, 0, new Attempts(), NOW);
    }

    @Test
    void aServerIsUsedOnlyWhenBothActiveAndPassiveAllowIt() {
        UpstreamServer a = server(1, false);
        UpstreamServer b = server(2, false);
        UpstreamServer c = server(3, false);
        a.state().health().active(ActiveState.DOWN);
        passivelyDown(b);
        UpstreamGroup g = group();
        for (int i = 0; i < 10; i++) {
            assertSame(c, pick(g));
        }
        assertTrue(!a.available(NOW) && !b.available(NOW) && c.available(NOW));
    }

    @Test
    void backupsTakeOverWhenEveryPrimaryIsDownAndGiveBack() {
        UpstreamServer a = server(1, false);
        UpstreamServer b = server(2, false);
        UpstreamServer backup = server(3, true);
        UpstreamGroup g = group();
        a.state().health().active(ActiveState.DOWN);
        b.state().health().active(ActiveState.DOWN);
        assertSame(backup, pick(g));
        b.state().health().active(ActiveState.UP);
        assertSame(b, pick(g));
    }

    @Test
    void nothingUpMeansNoServerAndNoAttempt() {
        UpstreamServer a = server(1, false);
        UpstreamServer backup = server(2, true);
        a.state().health().active(ActiveState.DOWN);
        backup.state().health().active(ActiveState.DOWN);
        Attempts attempts = new Attempts();
        assertNull(group().select(0, 0, attempts, NOW));
        assertEquals(0, attempts.count());
        assertTrue(!group().anyAvailable(NOW));
    }

    @Test
    void passiveAccountingGivesWayWhenNothingElseIsLeftButActiveDownNever() {
        UpstreamServer a = server(1, false);
        UpstreamServer b = server(2, false);
        a.state().health().active(ActiveState.DOWN);
        passivelyDown(a);
        passivelyDown(b);
        UpstreamGroup g = group();
        // b is out only by the passive heuristic: probed rather than failing every request until its penalty ends.
        assertSame(b, pick(g));
        b.state().health().active(ActiveState.DOWN);
        assertNull(g.select(0, 0, new Attempts(), NOW + TimeUnit.SECONDS.toNanos(1)),
                "the last pass must not bring back a server active checks took down, even with a probe due");
    }

    @Test
    void aPassivelyPenalisedBackupIsPreferredToAnActivelyDownPrimary() {
        UpstreamServer a = server(1, false);
        UpstreamServer backup = server(2, true);
        a.state().health().active(ActiveState.DOWN);
        passivelyDown(backup);
        assertSame(backup, pick(group()));
    }

    @Test
    void unknownCountsAsUp() {
        UpstreamServer a = server(1, false);
        assertEquals(ActiveState.UNKNOWN, a.state().health().active());
        assertSame(a, pick(group()));
    }
}
