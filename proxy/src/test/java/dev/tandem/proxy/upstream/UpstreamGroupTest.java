package dev.tandem.proxy.upstream;

import static dev.tandem.proxy.upstream.TestServers.group;
import static dev.tandem.proxy.upstream.TestServers.letter;
import static dev.tandem.proxy.upstream.TestServers.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.Balance;
import dev.tandem.health.ActiveState;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class UpstreamGroupTest {

    private static final long NOW = TimeUnit.HOURS.toNanos(1);
    private static final long FAIL_TIMEOUT = TimeUnit.SECONDS.toNanos(10);

    private final UpstreamServer a = server(1, 1, 0);
    private final UpstreamServer b = server(2, 1, 1);
    private final UpstreamServer c = server(3, 1, 2);
    private final UpstreamServer backup = server(4, 1, true, 0);

    private static char select(UpstreamGroup g, Attempts attempts) {
        UpstreamServer s = g.select(0, 0, attempts, NOW);
        return s == null ? '-' : letter(s);
    }

    private static void passiveDown(UpstreamServer s) {
        assertTrue(s.state().health().passive().recordFailure(NOW, 1, FAIL_TIMEOUT));
    }

    @Test
    void aServerWithASlotFreeIsPreferredToAFullOneButAFullPrimaryToABackup() {
        UpstreamServer x = server(5, 1, false, 0, 1);
        UpstreamServer y = server(6, 1, false, 1, 1);
        UpstreamServer spare = server(7, 1, true, 0, 1);
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(x, y), List.of(spare));
        assertTrue(x.state().tryStart(1));
        for (int i = 0; i < 4; i++) {
            assertEquals('f', select(g, new Attempts()));
        }
        assertTrue(y.state().tryStart(1));
        // Both full: the request goes to a primary anyway and waits for its slot there.
        char chosen = select(g, new Attempts());
        assertTrue(chosen == 'e' || chosen == 'f', "chose " + chosen);
    }

    @Test
    void ipHashKeepsTheClientOnItsServerWhenThatIsFull() {
        UpstreamServer x = server(5, 1, false, 0, 1);
        UpstreamServer y = server(6, 1, false, 1, 1);
        UpstreamGroup g = group(Balance.IP_HASH, List.of(x, y), List.of());
        UpstreamServer first = g.select(0, 42, new Attempts(), NOW);
        assertTrue(first.state().tryStart(1));
        assertEquals(first, g.select(0, 42, new Attempts(), NOW));
    }

    @Test
    void backupsOnlyWhenNoPrimaryIsAvailable() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a, b), List.of(backup));
        for (int i = 0; i < 10; i++) {
            assertNotEquals('d', select(g, new Attempts()));
        }
        a.state().drained(true);
        b.state().health().active(ActiveState.DOWN);
        assertEquals('d', select(g, new Attempts()));
        assertEquals('d', select(g, new Attempts()));
        b.state().health().active(ActiveState.UP);
        assertEquals('b', select(g, new Attempts()));
    }

    @Test
    void retriesGoToServersNotTriedYet() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a, b, c), List.of());
        Attempts attempts = new Attempts();
        String tried = "" + select(g, attempts) + select(g, attempts) + select(g, attempts);
        assertEquals(3, tried.chars().distinct().count(), tried);
        assertEquals(3, attempts.count());
    }

    @Test
    void aBackupIsTriedBeforeAPrimaryIsTriedAgain() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a), List.of(backup));
        Attempts attempts = new Attempts();
        assertEquals('a', select(g, attempts));
        assertEquals('d', select(g, attempts));
    }

    @Test
    void neverTheSameServerTwiceInARowWhenAnotherIsAvailable() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a, b), List.of());
        Attempts attempts = new Attempts();
        char previous = select(g, attempts);
        for (int i = 0; i < 20; i++) {
            char next = select(g, attempts);
            assertNotEquals(previous, next, "attempt " + (i + 2));
            previous = next;
        }
    }

    @Test
    void theOnlyServerIsRetriedWhenNothingElseIsLeft() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a), List.of());
        Attempts attempts = new Attempts();
        assertEquals('a', select(g, attempts));
        assertEquals('a', select(g, attempts));
    }

    @Test
    void theOnlyServerIsNotRetriedRightAfterItRefused() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a), List.of());
        Attempts attempts = new Attempts();
        assertEquals('a', select(g, attempts));
        assertTrue(g.mayRetry(attempts));
        attempts.lastRefused();
        assertFalse(g.mayRetry(attempts));
        assertEquals('-', select(g, attempts));
        // taken out by passive accounting too: still not picked again
        passiveDown(a);
        assertEquals('-', select(g, attempts));
    }

    @Test
    void afterARefusalTheRetryGoesToAnotherServerEvenOneAlreadyTried() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a, b), List.of());
        Attempts attempts = new Attempts();
        char first = select(g, attempts);
        attempts.lastRefused();
        assertTrue(g.mayRetry(attempts));
        char second = select(g, attempts);
        assertNotEquals(first, second);
        attempts.lastRefused();
        passiveDown(a);
        passiveDown(b);
        assertTrue(g.mayRetry(attempts));
        assertEquals(first, select(g, attempts), "the one that refused before the last is tried again");
    }

    @Test
    void aServerTakenOutByPassiveAccountingIsSkipped() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a, b), List.of());
        passiveDown(a);
        for (int i = 0; i < 5; i++) {
            assertEquals('b', select(g, new Attempts()));
        }
        assertFalse(a.available(NOW));
        assertTrue(a.available(NOW + FAIL_TIMEOUT));
    }

    @Test
    void passiveAccountingGivesWayWhenItWouldTakeTheWholeUpstreamDown() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a, b), List.of());
        passiveDown(a);
        passiveDown(b);
        assertTrue(g.select(0, 0, new Attempts(), NOW) != null);
        assertFalse(g.anyAvailable(NOW));
    }

    @Test
    void whenPassiveAccountingGivesWayRetriesStillAvoidTheServerThatJustFailed() {
        UpstreamServer heavy = server(1, 5, 0);
        UpstreamServer light = server(2, 1, 1);
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(heavy, light), List.of());
        passiveDown(heavy);
        passiveDown(light);
        for (int i = 0; i < 10; i++) {
            // a second apart, so that each server's next probe is due
            long now = NOW + TimeUnit.SECONDS.toNanos(i) / 10 * 9;
            Attempts attempts = new Attempts();
            UpstreamServer first = g.select(0, 0, attempts, now);
            UpstreamServer second = g.select(0, 0, attempts, now);
            assertNotEquals(null, second, "request " + i);
            assertNotEquals(first, second, "request " + i);
        }
    }

    @Test
    void whenPassiveAccountingTookEveryServerOutOnlyTheProbesDueGo() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a), List.of());
        passiveDown(a);
        Attempts probe = new Attempts();
        assertEquals('a', select(g, probe));
        assertTrue(probe.lastWasProbe());
        // the next requests are answered without a connection attempt, until the next probe is due
        for (int i = 0; i < 5; i++) {
            assertNull(g.select(0, 0, new Attempts(), NOW + TimeUnit.MICROSECONDS.toNanos(999)));
        }
        assertTrue(g.anyUpIgnoringPassive(), "no live server, which is not no server at all");
        Attempts next = new Attempts();
        assertEquals(a, g.select(0, 0, next, NOW + TimeUnit.MILLISECONDS.toNanos(1)));
        assertTrue(next.lastWasProbe());
        // a server that passive accounting did not take out is no probe
        a.state().health().passive().probeSucceeded();
        Attempts plain = new Attempts();
        assertEquals(a, g.select(0, 0, plain, NOW + TimeUnit.MILLISECONDS.toNanos(2)));
        assertFalse(plain.lastWasProbe());
    }

    @Test
    void aRetryGoesToAServerPassiveAccountingTookOutWithoutWaitingForItsProbe() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a, b), List.of());
        passiveDown(a);
        passiveDown(b);
        Attempts first = new Attempts();
        UpstreamServer one = g.select(0, 0, first, NOW);
        assertTrue(first.lastWasProbe());
        Attempts second = new Attempts();
        UpstreamServer other = g.select(0, 0, second, NOW);
        assertNotEquals(one, other);
        // No probe is due on either server now: a new request is answered without one...
        assertNull(g.select(0, 0, new Attempts(), NOW));
        // ...but the second request's retry still goes, to the server it has not just tried.
        second.lastRefused();
        assertTrue(g.mayRetry(second));
        assertEquals(one, g.select(0, 0, second, NOW));
        assertTrue(second.lastWasProbe(), "sent while taken out: its success would end the penalty");
    }

    @Test
    void noServerWhenEveryOneIsDownByActiveChecksOrDrained() {
        UpstreamGroup g = group(Balance.WEIGHTED_ROUND_ROBIN, List.of(a, b), List.of(backup));
        a.state().health().active(ActiveState.DOWN);
        b.state().drained(true);
        backup.state().weightOverride(0);
        assertNull(g.select(0, 0, new Attempts(), NOW));
        assertFalse(g.anyAvailable(NOW));
    }

    @Test
    void ipHashKeepsAClientOnItsServerAcrossRequests() {
        UpstreamGroup g = group(Balance.IP_HASH, List.of(a, b, c), List.of());
        long client = RendezvousHash.hashAddress(new byte[] {(byte) 192, (byte) 168, 1, 7});
        UpstreamServer home = g.select(0, client, new Attempts(), NOW);
        for (int i = 0; i < 10; i++) {
            assertEquals(home, g.select(0, client, new Attempts(), NOW));
        }
        // and a retry goes elsewhere
        Attempts attempts = new Attempts();
        g.select(0, client, attempts, NOW);
        assertNotEquals(home, g.select(0, client, attempts, NOW));
    }
}
