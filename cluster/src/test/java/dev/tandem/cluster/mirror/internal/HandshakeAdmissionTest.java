package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HandshakeAdmissionTest {

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void onlyTheNodesAddressesAreAdmitted() throws Exception {
        HandshakeAdmission a = new HandshakeAdmission(Set.of(ip("10.0.0.12"), ip("10.0.0.13")), 4, 32);
        assertEquals(HandshakeAdmission.Verdict.STRANGER, a.admit(ip("10.0.0.99")));
        assertEquals(HandshakeAdmission.Verdict.ADMITTED, a.admit(ip("10.0.0.12")));
        assertEquals(HandshakeAdmission.Verdict.ADMITTED, a.admit(ip("10.0.0.13")));
        assertEquals(2, a.pending());
        // a stranger refused takes no slot, and releasing it changes nothing
        a.release(ip("10.0.0.99"));
        assertEquals(2, a.pending());
    }

    @Test
    void anIpv4AddressSeenThroughADualStackSocketIsTheSameAddress() throws Exception {
        HandshakeAdmission a = new HandshakeAdmission(Set.of(ip("10.0.0.12")), 4, 32);
        InetAddress mapped = InetAddress.getByAddress(new byte[]{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff,
                10, 0, 0, 12});
        assertEquals(ip("10.0.0.12"), HandshakeAdmission.plain(mapped));
        assertEquals(HandshakeAdmission.Verdict.ADMITTED, a.admit(mapped));
        assertEquals(HandshakeAdmission.Verdict.STRANGER, a.admit(ip("::1")));
    }

    @Test
    void oneAddressCannotTakeEverySlot() throws Exception {
        HandshakeAdmission a = new HandshakeAdmission(Set.of(ip("10.0.0.12"), ip("10.0.0.13")), 2, 32);
        assertEquals(HandshakeAdmission.Verdict.ADMITTED, a.admit(ip("10.0.0.12")));
        assertEquals(HandshakeAdmission.Verdict.ADMITTED, a.admit(ip("10.0.0.12")));
        assertEquals(HandshakeAdmission.Verdict.SOURCE_LIMIT, a.admit(ip("10.0.0.12")));
        // the other node still gets in
        assertEquals(HandshakeAdmission.Verdict.ADMITTED, a.admit(ip("10.0.0.13")));
        // a handshake over frees its address's slot
        a.release(ip("10.0.0.12"));
        assertEquals(HandshakeAdmission.Verdict.ADMITTED, a.admit(ip("10.0.0.12")));
    }

    @Test
    void theTotalIsBoundedToo() throws Exception {
        HandshakeAdmission a = new HandshakeAdmission(Set.of(ip("10.0.0.12"), ip("10.0.0.13"), ip("10.0.0.14")), 2, 3);
        assertEquals(HandshakeAdmission.Verdict.ADMITTED, a.admit(ip("10.0.0.12")));
        assertEquals(HandshakeAdmission.Verdict.ADMITTED, a.admit(ip("10.0.0.12")));
        assertEquals(HandshakeAdmission.Verdict.ADMITTED, a.admit(ip("10.0.0.13")));
        assertEquals(HandshakeAdmission.Verdict.TOTAL_LIMIT, a.admit(ip("10.0.0.14")));
        a.release(ip("10.0.0.13"));
        assertEquals(HandshakeAdmission.Verdict.ADMITTED, a.admit(ip("10.0.0.14")));
        assertEquals(3, a.pending());
    }
}
