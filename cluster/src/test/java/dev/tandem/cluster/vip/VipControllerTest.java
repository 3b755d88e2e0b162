package dev.tandem.cluster.vip;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.VipConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void theNodeSendsEachAnnouncementOfItsRoundItselfASecondApart() {
        // Three calls, one at a time, a second apart: the driver sends one announcement per call and leaves
        // nothing running that sends more (a node stopped with SIGSTOP must stop announcing).
        RecordingVipDriver driver = new RecordingVipDriver();
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(30))) {
            long t0 = System.nanoTime();
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            await().atMost(5, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 3);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 1900, "the third one a second after the second: " + ms + " ms");
            await().during(500, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                    .until(() -> count(driver, "announce") == 3);
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

    /** Client connections per VIP as a test sets them, and which VIPs were told to close. */
    private static final class Connections implements VipConnections {
        final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> open =
                new java.util.concurrent.ConcurrentHashMap<>();
        final List<String> told = new CopyOnWriteArrayList<>();

        java.util.concurrent.atomic.AtomicInteger of(String vip) {
            return open.computeIfAbsent(vip, v -> new java.util.concurrent.atomic.AtomicInteger());
        }

        @Override
        public int open(String vip) {
            return of(vip).get();
        }

        @Override
        public void closeWhenIdle(String vip) {
            told.add(vip);
        }
    }

    @Test
    void aDrainTellsTheVipsConnectionsToCloseAndWaitsForThoseOnly() {
        RecordingVipDriver driver = new RecordingVipDriver();
        Connections connections = new Connections();
        connections.of(VIP.address()).set(2);
        connections.of("192.0.2.11").set(5); // another VIP held here (active-active): never waited for
        VipDrain drain = new VipDrain(connections, () -> true, () -> Duration.ofSeconds(30));
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(5))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.holds(VIP.address()));
            c.releaseWhenDrained(Duration.ofMillis(100), drain);
            assertTrue(connections.told.contains(VIP.address()), "told at the step-down, before the quiet time");
            await().during(300, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS).until(() -> driver.holds(VIP.address()));
            assertTrue(connections.told.stream().filter(VIP.address()::equals).count() > 1,
                    "connections accepted while it drains are told too");
            assertFalse(connections.told.contains("192.0.2.11"));
            connections.of(VIP.address()).set(0);
            await().atMost(2, TimeUnit.SECONDS).until(() -> !driver.holds(VIP.address()));
        }
    }

    @Test
    void theDrainLimitIsReadWhenTheDrainBegins() {
        RecordingVipDriver driver = new RecordingVipDriver();
        Connections connections = new Connections();
        connections.of(VIP.address()).set(1);
        java.util.concurrent.atomic.AtomicReference<Duration> limit =
                new java.util.concurrent.atomic.AtomicReference<>(Duration.ofSeconds(30));
        VipDrain drain = new VipDrain(connections, () -> true, limit::get);
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(5))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.holds(VIP.address()));
            limit.set(Duration.ofMillis(300)); // a reload between two drains
            long start = System.nanoTime();
            c.releaseWhenDrained(Duration.ofMillis(50), drain);
            await().atMost(5, TimeUnit.SECONDS).until(() -> !driver.holds(VIP.address()));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300), "not before the limit");
            assertEquals(1, connections.open(VIP.address()), "cut at the limit with a connection still open");
        }
    }

    @Test
    void aNewerRequestWinsOverARetryOfAnOlderOne() {
        RecordingVipDriver driver = new RecordingVipDriver();
        driver.failNext(1);
        // retried a second after the failure: time for the release to come first on a busy host, and the
        // test watches past the second
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofSeconds(1), Duration.ofSeconds(5))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.first("add-failed", VIP.address()) >= 0);
            c.release();
            await().during(1500, TimeUnit.MILLISECONDS).atMost(4, TimeUnit.SECONDS).until(() -> !driver.holds(VIP.address()));
            assertEquals(-1, driver.first("add", VIP.address()), "the failed add is not retried once released");
        }
    }

    private static List<String> ops(RecordingVipDriver d) {
        return d.calls().stream().map(RecordingVipDriver.Call::op).toList();
    }

    @Test
    void takingOverFromANodeThatHandsOverForwardsFirstThenAddsAndAnnounces() throws Exception {
        RecordingVipDriver driver = new RecordingVipDriver();
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(5))) {
            c.holdFrom(InetAddress.getByName("10.0.0.11"));
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            assertEquals(List.of("forward", "add", "announce"), ops(driver), "no segment reaches this host unforwarded");
            assertEquals("10.0.0.11", driver.forwardingTo(VIP.address()));

            c.stopForwarding();
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.forwardingTo(VIP.address()) == null);
            assertTrue(driver.holds(VIP.address()), "the address stays");
        }
    }

    @Test
    void aFailureToForwardIsCountedAndDoesNotHoldTheTakeoverUp() throws Exception {
        RecordingVipDriver driver = new RecordingVipDriver();
        driver.failNext(1);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (VipController c = new VipController(VIP, driver, a -> { }, meters, Duration.ofMillis(50), Duration.ofSeconds(5))) {
            c.holdFrom(InetAddress.getByName("10.0.0.11"));
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            assertEquals(List.of("forward-failed", "add", "announce"), ops(driver), "not retried: the takeover goes on");
            assertEquals(1, meters.get("tandem_vip_driver_failures_total").tags("op", "forward").counter().count());
        }
    }

    @Test
    void aFailureToEndTheForwardingIsRetried() throws Exception {
        RecordingVipDriver driver = new RecordingVipDriver();
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(5))) {
            c.holdFrom(InetAddress.getByName("10.0.0.11"));
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            driver.failNext(1);
            c.stopForwarding();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "stop-forwarding") == 1);
            assertEquals(1, count(driver, "stop-forwarding-failed"));
            assertEquals(null, driver.forwardingTo(VIP.address()));
        }
    }

    @Test
    void aDrainingHolderWithdrawsAtOnceAndIsToldWhenTheAddressIsGone() {
        RecordingVipDriver driver = new RecordingVipDriver();
        AtomicBoolean removed = new AtomicBoolean();
        VipController.Listener listener = new VipController.Listener() {
            @Override
            public void announced(boolean announced) {
            }

            @Override
            public void removed() {
                removed.set(true);
            }
        };
        try (VipController c = new VipController(VIP, driver, listener, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(5))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            c.releaseWhenDrained(Duration.ofMillis(500), () -> true, Duration.ofSeconds(10));
            await().atMost(400, TimeUnit.MILLISECONDS).until(() -> driver.withdrawn(VIP.address()));
            assertTrue(driver.holds(VIP.address()), "withdrawn, not removed: connections in flight go on");
            assertFalse(removed.get());
            await().atMost(2, TimeUnit.SECONDS).until(removed::get);
            assertFalse(driver.holds(VIP.address()));
            assertFalse(driver.withdrawn(VIP.address()), "the rules go with the address");
        }
    }

    @Test
    void heldAgainBeforeTheDrainEndedItIsAnsweredForAgain() {
        RecordingVipDriver driver = new RecordingVipDriver();
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(5))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            c.releaseWhenDrained(Duration.ofSeconds(5), () -> true, Duration.ofSeconds(10));
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.withdrawn(VIP.address()));
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 2);
            assertFalse(driver.withdrawn(VIP.address()));
            assertTrue(driver.holds(VIP.address()));
        }
    }

    @Test
    void aNodeSteppingAsideKeepsTheAddressUnannouncedUntilItDrains() {
        RecordingVipDriver driver = new RecordingVipDriver();
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofMillis(300))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            c.stepAside();
            assertFalse(c.wanted());
            // past the second round: none comes after the step aside (on a busy host the second may have come
            // before it), and the address stays, still answered for
            long announced = count(driver, "announce");
            await().during(700, TimeUnit.MILLISECONDS).atMost(3, TimeUnit.SECONDS).until(() ->
                    count(driver, "announce") == announced && driver.holds(VIP.address())
                            && !driver.withdrawn(VIP.address()));
            c.releaseWhenDrained(Duration.ofMillis(100), () -> true, Duration.ofSeconds(10));
            await().atMost(2, TimeUnit.SECONDS).until(() -> !driver.holds(VIP.address()));
            assertTrue(driver.first("withdraw", VIP.address()) < driver.first("remove", VIP.address()));
        }
    }

    /** The driver's add sends the takeover's first gratuitous ARP unless the announcements were stopped meanwhile. */
    @Test
    void aReleaseWhileTheAddIsUnderWayStopsTheAnnouncementsAtOnce() throws Exception {
        RecordingVipDriver recorder = new RecordingVipDriver();
        CountDownLatch adding = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        VipDriver slowToAdd = new VipDriver() {
            @Override
            public void add(VipConfig vip) throws IOException {
                adding.countDown();
                try {
                    goOn.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                recorder.add(vip);
            }

            @Override
            public void remove(VipConfig vip) throws IOException {
                recorder.remove(vip);
            }

            @Override
            public boolean present(VipConfig vip) {
                return recorder.present(vip);
            }

            @Override
            public void announce(VipConfig vip) throws IOException {
                recorder.announce(vip);
            }

            @Override
            public void stopAnnouncing(VipConfig vip) {
                recorder.stopAnnouncing(vip);
            }

            @Override
            public void withdraw(VipConfig vip) throws IOException {
                recorder.withdraw(vip);
            }

            @Override
            public void forward(VipConfig vip, InetAddress oldHolder) throws IOException {
                recorder.forward(vip, oldHolder);
            }

            @Override
            public long stopForwarding(VipConfig vip) throws IOException {
                return recorder.stopForwarding(vip);
            }

            @Override
            public void removeRules(VipConfig vip) throws IOException {
                recorder.removeRules(vip);
            }
        };
        try (VipController c = new VipController(VIP, slowToAdd, a -> {
        }, new SimpleMeterRegistry(), Duration.ofMillis(50), Duration.ofSeconds(5))) {
            c.hold();
            assertTrue(adding.await(2, TimeUnit.SECONDS));
            c.release();
            assertEquals(List.of("quiet"), ops(recorder), "stopped while the add is still under way");
            goOn.countDown();
            await().atMost(2, TimeUnit.SECONDS).until(() -> ops(recorder).contains("remove"));
            assertFalse(ops(recorder).contains("announce"), ops(recorder).toString());
        }
    }

    @Test
    void aRoundStartingJustAsTheNodeStepsAsideIsEndedAtOnce() throws Exception {
        RecordingVipDriver recorder = new RecordingVipDriver();
        CountDownLatch announcing = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        VipDriver slowToAnnounce = new VipDriver() {
            @Override
            public void add(VipConfig vip) throws IOException {
                recorder.add(vip);
            }

            @Override
            public void remove(VipConfig vip) throws IOException {
                recorder.remove(vip);
            }

            @Override
            public boolean present(VipConfig vip) {
                return recorder.present(vip);
            }

            @Override
            public void announce(VipConfig vip) throws IOException {
                announcing.countDown();
                try {
                    goOn.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                recorder.announce(vip);
            }

            @Override
            public void stopAnnouncing(VipConfig vip) {
                recorder.stopAnnouncing(vip);
            }

            @Override
            public void withdraw(VipConfig vip) throws IOException {
                recorder.withdraw(vip);
            }

            @Override
            public void forward(VipConfig vip, InetAddress oldHolder) throws IOException {
                recorder.forward(vip, oldHolder);
            }

            @Override
            public long stopForwarding(VipConfig vip) throws IOException {
                return recorder.stopForwarding(vip);
            }

            @Override
            public void removeRules(VipConfig vip) throws IOException {
                recorder.removeRules(vip);
            }
        };
        List<Boolean> told = new CopyOnWriteArrayList<>();
        try (VipController c = new VipController(VIP, slowToAnnounce, told::add, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(5))) {
            c.hold();
            assertTrue(announcing.await(2, TimeUnit.SECONDS));
            c.stepAside();
            goOn.countDown();
            // the round that started anyway is ended right after it started
            await().atMost(2, TimeUnit.SECONDS).until(() -> ops(recorder).contains("announce")
                    && ops(recorder).lastIndexOf("quiet") > ops(recorder).indexOf("announce"));
            assertEquals(List.of(), told, "not reported announced: the address is on its way elsewhere");
        }
    }

    @Test
    void atStartRulesLeftByACrashAreRemovedWithOrWithoutTheAddress() {
        RecordingVipDriver withAddress = new RecordingVipDriver(VIP.address());
        RecordingVipDriver without = new RecordingVipDriver();
        try (VipController a = new VipController(VIP, withAddress, x -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(5));
             VipController b = new VipController(VIP, without, x -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(5))) {
            a.removeLeftover();
            b.removeLeftover();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(withAddress, "remove") == 1
                    && count(without, "remove-rules") == 1);
            assertEquals(List.of("remove"), ops(withAddress), "removing the address removes its rules too");
            assertEquals(List.of("remove-rules"), ops(without));
        }
    }

    // ---- announcements that reach the clients

    @Test
    void aFailedAnnouncementIsRetriedUntilOneGoesOut() {
        RecordingVipDriver driver = new RecordingVipDriver();
        driver.failNext("announce", 3);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (VipController c = new VipController(VIP, driver, a -> { }, meters, Duration.ofMillis(50),
                Duration.ofSeconds(30))) {
            c.hold();
            await().atMost(5, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            assertEquals(3, count(driver, "announce-failed"));
            assertEquals(3.0, meters.get("tandem_vip_driver_failures_total").tag("op", "announce").counter().count());
            // one success ends the retries
            await().during(300, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                    .until(() -> count(driver, "announce") == 1);
        }
    }

    @Test
    void theRetriesOfAnAnnouncementEndWhenTheNodeStepsAside() {
        RecordingVipDriver driver = new RecordingVipDriver();
        driver.failNext("announce", 1000);
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(30))) {
            c.hold();
            await().atMost(5, TimeUnit.SECONDS).until(() -> count(driver, "announce-failed") >= 2);
            c.stepAside();
            long failed = count(driver, "announce-failed");
            await().during(300, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                    .until(() -> count(driver, "announce-failed") <= failed + 1);
        }
    }

    @Test
    void reannounceAnnouncesAgainOnlyWhileTheAddressIsHeld() {
        RecordingVipDriver driver = new RecordingVipDriver();
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(30))) {
            c.reannounce("not held", true);
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            c.reannounce("a peer claims it", true);
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 2);
            c.stepAside();
            c.reannounce("stepped aside", true);
            await().during(200, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                    .until(() -> count(driver, "announce") == 2);
        }
    }

    @Test
    void whenTheLinkComesBackTheAddressIsAddedAndAnnouncedAgain(@TempDir Path sys) throws Exception {
        Path carrier = Files.createDirectories(sys.resolve(VIP.iface())).resolve("carrier");
        Files.writeString(carrier, "1\n");
        RecordingVipDriver driver = new RecordingVipDriver();
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(30), new LinkState(sys), Duration.ofMillis(20),
                Duration.ofMillis(100))) {
            // a link that goes and comes while the address is not held changes nothing
            Files.writeString(carrier, "0\n");
            Thread.onSpinWait();
            Files.writeString(carrier, "1\n");
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            Files.delete(carrier); // an interface set down: its carrier cannot be read
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.withdrawn(VIP.address()));
            await().during(200, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                    .until(() -> count(driver, "announce") == 1 && driver.holds(VIP.address()));
            long back = System.nanoTime();
            Files.writeString(carrier, "1\n");
            // answered for and announced once a peer that took it over meanwhile could be heard, not at once
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 2);
            assertEquals(2, count(driver, "add"));
            assertFalse(driver.withdrawn(VIP.address()));
            assertTrue(driver.last("add", VIP.address()) - back >= TimeUnit.MILLISECONDS.toNanos(100),
                    "not before the settle time");
            assertTrue(driver.last("add", VIP.address()) < driver.last("announce", VIP.address()));

            c.release();
            await().atMost(2, TimeUnit.SECONDS).until(() -> !driver.holds(VIP.address()));
            Files.writeString(carrier, "0\n");
            await().during(100, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS).until(() -> true);
            Files.writeString(carrier, "1\n");
            await().during(200, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                    .until(() -> count(driver, "announce") == 2 && count(driver, "add") == 2);
        }
    }

    @Test
    void aPeerThatClaimedTheVipHasItsConnectionsPassedOnBeforeTheAnnouncement() throws Exception {
        RecordingVipDriver driver = new RecordingVipDriver();
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(30))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            c.reannounceFrom(InetAddress.getByName("192.0.2.2"), "b claims it too");
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 2);
            List<String> ops = driver.calls().stream().map(RecordingVipDriver.Call::op).toList();
            assertEquals(List.of("add", "announce", "forward", "announce"), ops);
            assertEquals("192.0.2.2", driver.forwardingTo(VIP.address()));
            c.stopForwarding();
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.forwardingTo(VIP.address()) == null);
        }
    }

    @Test
    void anAnnouncementThatFailsWhileTheLinkIsDownWaitsForTheLink(@TempDir Path sys) throws Exception {
        Path carrier = Files.createDirectories(sys.resolve(VIP.iface())).resolve("carrier");
        Files.writeString(carrier, "0\n");
        RecordingVipDriver driver = new RecordingVipDriver();
        driver.failNext("announce", 1);
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(30), new LinkState(sys), Duration.ofMillis(20),
                Duration.ofMillis(100))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce-failed") == 1);
            // no retry every 50 ms into a dead link: it would pull the clients before a peer is heard
            await().during(300, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                    .until(() -> count(driver, "announce") == 0);
            Files.writeString(carrier, "1\n");
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
        }
    }

    @Test
    void withoutSysfsTheLinkIsNotWatchedAndFailuresAreRetried(@TempDir Path sys) {
        RecordingVipDriver driver = new RecordingVipDriver();
        driver.failNext("announce", 2);
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(30), new LinkState(sys), Duration.ofMillis(20),
                Duration.ofMillis(100))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            assertEquals(2, count(driver, "announce-failed"));
        }
    }

    @Test
    void aFailedRoundIsRetriedWithinMillisecondsNotAfterTheCommandRetry() {
        RecordingVipDriver driver = new RecordingVipDriver();
        driver.failNext("announce", 2);
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofSeconds(30), Duration.ofSeconds(30))) {
            c.hold();
            // 20 ms, then 50 ms after the failures: a neighbour still sent to a peer that stepped down is lost
            // for as long as no round goes out
            await().atMost(5, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            assertEquals(2, count(driver, "announce-failed"));
        }
    }

    @Test
    void aMasterWhoseLinkWentIsNotAnnouncedUntilARoundGoesOutOnceTheLinkIsBack(@TempDir Path sys) throws Exception {
        Path carrier = Files.createDirectories(sys.resolve(VIP.iface())).resolve("carrier");
        Files.writeString(carrier, "1\n");
        RecordingVipDriver driver = new RecordingVipDriver();
        List<Boolean> told = new CopyOnWriteArrayList<>();
        List<Long> announcesWhenTold = new CopyOnWriteArrayList<>();
        try (VipController c = new VipController(VIP, driver, a -> {
            told.add(a);
            announcesWhenTold.add(count(driver, "announce"));
        }, new SimpleMeterRegistry(), Duration.ofMillis(50), Duration.ofSeconds(30), new LinkState(sys),
                Duration.ofMillis(20), Duration.ofMillis(100))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> told.equals(List.of(true)));
            Files.writeString(carrier, "0\n");
            // a peer stepping down for this node must not go quiet on the strength of a round from before
            await().atMost(2, TimeUnit.SECONDS).until(() -> told.equals(List.of(true, false)));
            Files.writeString(carrier, "1\n");
            await().atMost(2, TimeUnit.SECONDS).until(() -> told.equals(List.of(true, false, true)));
            // told after an announcement went out, not before (a round is three a second apart: on a slow host the
            // first round's second one may have gone out before the link was seen down)
            assertTrue(announcesWhenTold.get(0) >= 1, "told after the round went out: " + announcesWhenTold);
            assertTrue(announcesWhenTold.get(2) > announcesWhenTold.get(1),
                    "told again only after a round went out once the link was back: " + announcesWhenTold);
        }
    }

    @Test
    void aPeersClaimHeardAsTheLinkComesBackIsAnsweredAtOnceAndTheAddressAnsweredForFirst(@TempDir Path sys)
            throws Exception {
        Path carrier = Files.createDirectories(sys.resolve(VIP.iface())).resolve("carrier");
        Files.writeString(carrier, "1\n");
        RecordingVipDriver driver = new RecordingVipDriver();
        // polled every 20 ms, settling for 30 s: only the claim can make the round go out in this test
        try (VipController c = new VipController(VIP, driver, a -> { }, new SimpleMeterRegistry(),
                Duration.ofMillis(50), Duration.ofSeconds(30), new LinkState(sys), Duration.ofMillis(20),
                Duration.ofSeconds(30))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 1);
            Files.writeString(carrier, "0\n");
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.withdrawn(VIP.address()));
            Files.writeString(carrier, "1\n");
            c.reannounceFrom(InetAddress.getByName("192.0.2.2"), "b claims it too");
            String address = VIP.address();
            await().atMost(2, TimeUnit.SECONDS).until(() -> driver.last("announce", address) > driver.last("add", address)
                    && driver.last("add", address) > driver.last("withdraw", address));
            // (a round is three announcements a second apart: on a slow host the first round's second one may go
            // out before the link is seen down, so repeats are one step here)
            List<String> ops = new ArrayList<>();
            driver.calls().stream().map(RecordingVipDriver.Call::op).filter(op -> !op.equals("quiet"))
                    .filter(op -> ops.isEmpty() || !(op.equals("announce") && ops.get(ops.size() - 1).equals(op)))
                    .forEach(ops::add);
            // the peer's connections go on to it, then this node answers ARP for the address, then claims it
            assertEquals(List.of("add", "announce", "withdraw", "forward", "add", "announce"), ops);
            assertFalse(driver.withdrawn(VIP.address()));
        }
    }

    /**
     * A healed partition: the election counts a round as answering a peer's claim only once it has heard from the
     * controller that the address is not announced since the claim; a master that never lost its link was told
     * "announced" once, at its takeover, and nothing after.
     */
    @Test
    void aPeersClaimIsToldAsNotAnnouncedThenAnnouncedOnceARoundAfterItWentOut() throws Exception {
        RecordingVipDriver driver = new RecordingVipDriver();
        List<Boolean> told = new CopyOnWriteArrayList<>();
        List<Long> announcesWhenTold = new CopyOnWriteArrayList<>();
        try (VipController c = new VipController(VIP, driver, a -> {
            told.add(a);
            announcesWhenTold.add(count(driver, "announce"));
        }, new SimpleMeterRegistry(), Duration.ofMillis(50), Duration.ofSeconds(30))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> told.equals(List.of(true)));
            c.reannounce("refresh", false);
            await().atMost(2, TimeUnit.SECONDS).until(() -> count(driver, "announce") == 2);
            c.reannounceFrom(InetAddress.getByName("192.0.2.2"), "b claims it too");
            await().atMost(2, TimeUnit.SECONDS).until(() -> told.equals(List.of(true, false, true)));
            assertEquals(List.of(1L, 2L, 3L), announcesWhenTold, "told after the claim's round went out, not before");
            c.reannounce("b drains it", true);
            await().atMost(2, TimeUnit.SECONDS).until(() -> told.equals(List.of(true, false, true, false, true)));
        }
    }
    /**
     * The election counts the claims it passed on and the driver's answers to them: each claim is answered once, as
     * a claim (not as a mere "not announced", which a lost link says too), even when a release superseded it.
     */
    @Test
    void eachClaimPassedOnIsAnsweredOnceAsAClaimEvenWhenSuperseded() throws Exception {
        RecordingVipDriver driver = new RecordingVipDriver();
        List<String> heard = new CopyOnWriteArrayList<>();
        try (VipController c = new VipController(VIP, driver, new VipController.Listener() {
            @Override
            public void announced(boolean announced) {
                heard.add(String.valueOf(announced));
            }

            @Override
            public void claimHeard() {
                heard.add("claim");
            }
        }, new SimpleMeterRegistry(), Duration.ofMillis(50), Duration.ofSeconds(30))) {
            c.hold();
            await().atMost(2, TimeUnit.SECONDS).until(() -> heard.equals(List.of("true")));
            c.reannounce("b claims it too", true);
            await().atMost(2, TimeUnit.SECONDS).until(() -> heard.equals(List.of("true", "claim", "true")));
            c.reannounce("refresh", false);
            c.reannounceFrom(InetAddress.getByName("192.0.2.2"), "c claims it too");
            c.release();
            c.reannounce("b drains it", true);
            await().atMost(2, TimeUnit.SECONDS).until(() -> heard.stream().filter("claim"::equals).count() == 3
                    && driver.calls().stream().anyMatch(k -> k.op().equals("remove")));
        }
    }
}
