package dev.tandem.cluster.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.transport.GoneCheck.Next;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link GoneCheck} on a clock the test moves: what each close and each failed dial means. */
class GoneCheckTest {

    private static final long S = 1_000_000_000L;
    private final GoneCheck check = new GoneCheck(Duration.ofSeconds(1));

    private static ConnectException refused() {
        return new ConnectException("connect(..) failed: Connection refused");
    }

    @Test
    void aCloseFromThePeerThenARefusalIsGone() {
        assertEquals(Next.DIAL_NOW, check.closedByPeer(10 * S));
        assertEquals(Next.GONE, check.dialFailed(refused()));
        assertFalse(check.checking(), "told once");
        assertEquals(Next.BACK_OFF, check.dialFailed(refused()), "later refusals tell nothing more");
    }

    @Test
    void aRefusalWithNoCloseBeforeItTellsNothing() {
        assertEquals(Next.BACK_OFF, check.dialFailed(refused()), "a peer not started yet, a firewall");
    }

    @Test
    void aDialAnsweredAfterTheCloseIsAlive() {
        check.closedByPeer(10 * S);
        check.answered();
        assertEquals(Next.BACK_OFF, check.dialFailed(refused()), "a refusal after an answer is no proof");
    }

    @Test
    void aDialCutAsItIsAcceptedIsProbedAgainUpToFiveDialsThenGivenUp() {
        check.closedByPeer(10 * S);
        for (int i = 0; i < GoneCheck.PROBES - 1; i++) {
            assertEquals(Next.PROBE, check.cutBeforeAWord(), "probe " + i);
        }
        assertEquals(Next.BACK_OFF, check.cutBeforeAWord(), "five dials cut: a live peer that cuts, not a dying one");
        assertEquals(Next.BACK_OFF, check.dialFailed(refused()));
    }

    @Test
    void aListenerThatOutlivesItsConnectionsByAnInstantEndsInARefusal() {
        check.closedByPeer(10 * S);
        assertEquals(Next.PROBE, check.dialFailed(new IOException("Connection reset by peer")));
        assertEquals(Next.PROBE, check.cutBeforeAWord());
        assertEquals(Next.GONE, check.dialFailed(refused()));
    }

    @Test
    void aTimeoutOrNoRouteTellsNothing() {
        check.closedByPeer(10 * S);
        assertEquals(Next.BACK_OFF, check.dialFailed(new SocketTimeoutException("connect timed out")));
        assertEquals(Next.BACK_OFF, check.dialFailed(refused()), "the check ended with the timeout");
        check.closedByPeer(20 * S);
        assertEquals(Next.BACK_OFF, check.dialFailed(new java.net.NoRouteToHostException("No route to host")));
    }

    @Test
    void aLivePeerThatClosesEveryConnectionIsDialedAtOnceOnlyOncePerSecond() {
        assertEquals(Next.DIAL_NOW, check.closedByPeer(10 * S));
        check.answered();
        assertEquals(Next.BACK_OFF, check.closedByPeer(10 * S + S / 2), "within a second: the back-off");
        assertTrue(check.checking(), "the dial after the back-off still tells");
        check.answered();
        assertEquals(Next.DIAL_NOW, check.closedByPeer(11 * S));
        assertTrue(check.checking());
        assertEquals(Next.BACK_OFF, check.closedByPeer(11 * S + 1));
        assertEquals(Next.GONE, check.dialFailed(refused()), "a close, the back-off, then a refusal: gone, later");
    }

    @Test
    void exceptionsAreToldApartByWhatTheKernelSaid() {
        assertTrue(GoneCheck.refusal(refused()));
        assertFalse(GoneCheck.refusal(new ConnectException("connect timed out")));
        assertTrue(GoneCheck.reset(new IOException("recvAddress(..) failed: Connection reset by peer")));
        assertTrue(GoneCheck.reset(new IOException("writev(..) failed: Broken pipe")));
        assertFalse(GoneCheck.reset(new IOException("closed")));
    }
}
