package dev.tandem.cluster.vip;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.VipConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class VipControllerTest {

    private static final VipConfig VIP = new VipConfig("192.0.2.10", 24, "eth0", List.of("a"));

    private static long count(RecordingVipDriver d, String op) {
        return d.calls().stream().filter(c -> c.op().equals(op)).count();
    }

    @Test
    void announcesTwiceThenReportsAnnounced() {
        RecordingVipDriver driver = new RecordingVipDriver();
        List<Boolean> told = new CopyOnWriteArrayList<>();
        try (VipController c = new VipController(VIP, driver, told::add, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofMillis(100))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 2);
            assertEquals(List.of(true), told);
            assertTrue(c.present());
        }
    }

    @Test
    void aNodeHandingOverMakesNoFurtherAnnouncement() {
        RecordingVipDriver driver = new RecordingVipDriver();
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofMillis(300))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            c.stopAnnouncing();
            await().during(600, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                    .until(() -> count(driver, "announce") == 1);
            assertTrue(driver.holds(VIP.address()), "the address stays: only the announcements stop");
        }
    }

    @Test
    void releaseWhenDrainedWaitsForQuietAndIdle() {
        RecordingVipDriver driver = new RecordingVipDriver();
        AtomicBoolean idle = new AtomicBoolean(false);
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(5))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.holds(VIP.address()));
            c.releaseWhenDrained(Duration.ofMillis(100), idle::get, Duration.ofSeconds(10));
            assertFalse(c.wanted());
            await().during(400, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS).until(() -> driver.holds(VIP.address()));
            idle.set(true);
            await().atMost(2, TimeUnit.SECONDS).until(() -> !driver.holds(VIP.address()));
        }
    }

    @Test
    void aNewerRequestWinsOverARetryOfAnOlderOne() {
        RecordingVipDriver driver = new RecordingVipDriver();
        driver.failNext(1);
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(200), Duration.ofSeconds(5))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.first("add-failed", VIP.address()) >= 0);
            c.release();
            await().during(500, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS).until(() -> !driver.holds(VIP.address()));
            assertEquals(-1, driver.first("add", VIP.address()), "the failed add is not retried once released");
        }
    }
}
