package dev.tandem.proxy.upstream;

import static dev.tandem.proxy.upstream.TestServers.ALL;
import static dev.tandem.proxy.upstream.TestServers.letter;
import static dev.tandem.proxy.upstream.TestServers.primaries;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class LeastConnectionsTest {

    private static void busy(UpstreamServer s, int requests) {
        for (int i = 0; i < requests; i++) {
            s.state().requestStarted();
        }
    }

    @Test
    void picksTheServerWithFewestRequestsInFlight() {
        UpstreamServer[] s = primaries(1, 1, 1);
        busy(s[0], 3);
        busy(s[1], 1);
        busy(s[2], 2);
        assertEquals('b', letter(new LeastConnections(3).pick(s, ALL, 0)));
    }

    @Test
    void loadIsRelativeToWeight() {
        UpstreamServer[] s = primaries(4, 1);
        busy(s[0], 3); // 3/4 < 1/1
        busy(s[1], 1);
        assertEquals('a', letter(new LeastConnections(2).pick(s, ALL, 0)));
        busy(s[0], 2); // 5/4 > 1/1
        assertEquals('b', letter(new LeastConnections(2).pick(s, ALL, 0)));
    }

    @Test
    void tiesAreBrokenByWeightedRoundRobin() {
        UpstreamServer[] s = primaries(2, 1, 1);
        LeastConnections b = new LeastConnections(3);
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            p.append(letter(b.pick(s, ALL, 0))); // nothing in flight: all tie
        }
        assertEquals("abcaabca", p.toString());
    }

    @Test
    void requestsEndingMakeAServerAttractiveAgain() {
        UpstreamServer[] s = primaries(1, 1);
        LeastConnections b = new LeastConnections(2);
        busy(s[0], 2);
        busy(s[1], 1);
        assertEquals('b', letter(b.pick(s, ALL, 0)));
        s[0].state().requestEnded();
        s[0].state().requestEnded();
        assertEquals('a', letter(b.pick(s, ALL, 0)));
    }

    @Test
    void onlyEligibleServersCount() {
        UpstreamServer[] s = primaries(1, 1);
        busy(s[1], 5);
        assertEquals('b', letter(new LeastConnections(2).pick(s, x -> letter(x) == 'b', 0)));
        assertNull(new LeastConnections(2).pick(s, x -> false, 0));
    }
}
