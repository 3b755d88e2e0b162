package dev.tandem.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.tandem.cluster.wire.Advert;
import dev.tandem.conf.VipConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class VipRunTest {

    private static int parity(int flags) {
        return flags & Advert.DRAIN_PARITY;
    }

    @Test
    void eachDrainsReportsDifferFromTheLastDrainsAndAgreeWithEachOther() {
        VipRun v = new VipRun(new VipConfig("192.0.2.50", 24, "eth0", List.of("a", "b")), null);
        v.newDrain();
        int first = v.drainReport(Advert.DRAINING);
        assertEquals(Advert.DRAINING, first & ~Advert.DRAIN_PARITY);
        assertEquals(parity(first), parity(v.drainReport(Advert.DRAINING)), "the same drain");
        assertEquals(parity(first), parity(v.drainReport(Advert.RELEASED)), "its release");
        v.newDrain();
        int second = v.drainReport(Advert.DRAINING);
        assertNotEquals(parity(first), parity(second), "the next drain");
        v.newDrain();
        assertNotEquals(parity(second), parity(v.drainReport(Advert.DRAINING)), "and the one after");
    }
}
