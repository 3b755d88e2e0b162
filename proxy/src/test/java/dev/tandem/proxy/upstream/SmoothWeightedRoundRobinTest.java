package dev.tandem.proxy.upstream;

import static dev.tandem.proxy.upstream.TestServers.ALL;
import static dev.tandem.proxy.upstream.TestServers.letter;
import static dev.tandem.proxy.upstream.TestServers.primaries;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmoothWeightedRoundRobinTest {

    private static String picks(Balancer b, UpstreamServer[] servers, ServerFilter filter, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(letter(b.pick(servers, filter, 0)));
        }
        return sb.toString();
    }

    @Test
    void fiveOneOneIsInterleavedAsNginxDoesIt() {
        UpstreamServer[] s = primaries(5, 1, 1);
        SmoothWeightedRoundRobin b = new SmoothWeightedRoundRobin(s.length);
        assertEquals("aabacaa", picks(b, s, ALL, 7));
        // and the cycle repeats exactly
        assertEquals("aabacaa".repeat(3), picks(b, s, ALL, 21));
    }

    @Test
    void equalWeightsAlternate() {
        UpstreamServer[] s = primaries(1, 1);
        assertEquals("ababab", picks(new SmoothWeightedRoundRobin(2), s, ALL, 6));
    }

    @Test
    void twoToOneOverThreeHundredPicksIsExact() {
        UpstreamServer[] s = primaries(2, 1);
        String p = picks(new SmoothWeightedRoundRobin(2), s, ALL, 300);
        assertEquals(200, p.chars().filter(c -> c == 'a').count());
        assertEquals("aba", p.substring(0, 3));
    }

    @Test
    void distributionFollowsWeightsOverManyPicks() {
        UpstreamServer[] s = primaries(50, 30, 15, 5);
        SmoothWeightedRoundRobin b = new SmoothWeightedRoundRobin(s.length);
        Map<Character, Integer> counts = new HashMap<>();
        for (int i = 0; i < 100_000; i++) {
            counts.merge(letter(b.pick(s, ALL, 0)), 1, Integer::sum);
        }
        assertEquals(Map.of('a', 50_000, 'b', 30_000, 'c', 15_000, 'd', 5_000), counts);
    }

    @Test
    void neverMoreThanItsShareInARow() {
        // Smoothness: in any window of 10 picks of a 9:1 pool, b appears exactly once.
        UpstreamServer[] s = primaries(9, 1);
        String p = picks(new SmoothWeightedRoundRobin(2), s, ALL, 1000);
        for (int i = 0; i + 10 <= p.length(); i += 10) {
            assertEquals(1, p.substring(i, i + 10).chars().filter(c -> c == 'b').count(), p.substring(i, i + 10));
        }
    }

    @Test
    void weightChangedAtRuntimeTakesEffectAtOnce() {
        UpstreamServer[] s = primaries(1, 1);
        SmoothWeightedRoundRobin b = new SmoothWeightedRoundRobin(2);
        assertEquals("abab", picks(b, s, ALL, 4));
        s[1].state().weightOverride(3);
        String p = picks(b, s, ALL, 400);
        assertEquals(100, p.chars().filter(c -> c == 'a').count());
        s[1].state().weightOverride(-1);
        p = picks(b, s, ALL, 400);
        assertEquals(200, p.chars().filter(c -> c == 'a').count());
    }

    @Test
    void ineligibleServersAreSkippedAndTheRestKeepTheirRatio() {
        UpstreamServer[] s = primaries(2, 1, 1);
        SmoothWeightedRoundRobin b = new SmoothWeightedRoundRobin(3);
        String p = picks(b, s, x -> letter(x) != 'a', 100);
        assertEquals(50, p.chars().filter(c -> c == 'b').count());
        assertEquals(50, p.chars().filter(c -> c == 'c').count());
        assertNull(b.pick(s, x -> false, 0));
    }
}
