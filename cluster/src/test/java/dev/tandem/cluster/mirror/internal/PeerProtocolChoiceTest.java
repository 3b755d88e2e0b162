package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The protocol a link's dials offer a peer across a rolling upgrade. */
class PeerProtocolChoiceTest {

    @Test
    void offersTheNewestUntilAHelloOfItGoesUnanswered() {
        ProtocolChoice p = new ProtocolChoice();
        assertEquals(Handshake.PROTOCOL, p.offer());
        assertFalse(p.refused(false));
        assertEquals(Handshake.PROTOCOL, p.offer());
        assertTrue(p.refused(true));
        assertEquals(Handshake.OLDEST, p.offer());
    }

    @Test
    void afterTheOldestTheNextDialOffersTheNewestAgain() {
        ProtocolChoice p = new ProtocolChoice();
        p.refused(true);
        // the oldest was refused too (the peer down, or not yet restarted): the newest next, so an upgrade is seen
        assertFalse(p.refused(true));
        assertEquals(Handshake.PROTOCOL, p.offer());
    }

    @Test
    void aConnectionUpMakesTheNextDialOfferTheNewest() {
        ProtocolChoice p = new ProtocolChoice();
        p.refused(true);
        p.connected();
        assertEquals(Handshake.PROTOCOL, p.offer());
    }
}
