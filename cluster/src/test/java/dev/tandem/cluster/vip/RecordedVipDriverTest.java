package dev.tandem.cluster.vip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.VipConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The record is written before the driver adds a rule, once it added an address, and struck off after it removes it. */
class RecordedVipDriverTest {

    @TempDir
    Path dir;

    private static final VipConfig VIP = new VipConfig("203.0.113.10", 24, "eth0", List.of("a"));

    /** What the record listed at each call of the wrapped driver, by call. */
    private final List<String> seen = new ArrayList<>();

    private VipDriver seeing(RecordingVipDriver inner, Path file) {
        return (VipDriver) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{VipDriver.class}, (proxy, m, args) -> {
                    seen.add(m.getName() + " " + HeldAddresses.read(file).stream().map(Held::line).toList());
                    try {
                        return m.invoke(inner, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void recordedAroundTheAddsStruckOffAfterRemoved() throws Exception {
        HeldAddresses record = HeldAddresses.open(dir, "a");
        RecordingVipDriver inner = new RecordingVipDriver();
        RecordedVipDriver driver = new RecordedVipDriver(seeing(inner, record.file()), record);

        driver.add(VIP);
        assertEquals("add []", seen.get(0), "the address is recorded after its add, which announces it");
        assertEquals(List.of(Held.address(VIP)), HeldAddresses.read(record.file()));
        driver.withdraw(VIP);
        assertEquals("withdraw [address 203.0.113.10/24 eth0, table arp tandem_203_0_113_10]", seen.get(1));
        driver.forward(VIP, InetAddress.getByName("192.0.2.2"));
        assertEquals("forward [address 203.0.113.10/24 eth0, table arp tandem_203_0_113_10, table ip tandem_203_0_113_10]",
                seen.get(2));
        driver.stopForwarding(VIP);
        assertEquals(List.of(Held.address(VIP), Held.quiet(VIP)), HeldAddresses.read(record.file()));
        driver.remove(VIP);
        assertEquals(List.of(), HeldAddresses.read(record.file()));
        assertTrue(!Files.exists(record.file()));
    }

    @Test
    void anAddThatFailedIsRecordedAllTheSame() throws Exception {
        HeldAddresses record = HeldAddresses.open(dir, "a");
        RecordingVipDriver inner = new RecordingVipDriver();
        RecordedVipDriver driver = new RecordedVipDriver(inner, record);
        inner.failNext("add", 1);
        assertThrows(IOException.class, () -> driver.add(VIP));
        assertEquals(List.of(Held.address(VIP)), HeldAddresses.read(record.file()), "it may be there in part");
    }

    @Test
    void aFailedRemovalStaysRecorded() throws Exception {
        HeldAddresses record = HeldAddresses.open(dir, "a");
        RecordingVipDriver inner = new RecordingVipDriver();
        RecordedVipDriver driver = new RecordedVipDriver(inner, record);
        driver.add(VIP);
        inner.failNext("remove", 1);
        assertThrows(IOException.class, () -> driver.remove(VIP));
        assertEquals(List.of(Held.address(VIP)), HeldAddresses.read(record.file()));
        driver.removeRules(VIP);
        assertEquals(List.of(Held.address(VIP)), HeldAddresses.read(record.file()));
    }

    @Test
    void aRecordThatCannotBeWrittenDoesNotStopTheVip() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        HeldAddresses record = HeldAddresses.open(notADirectory, "a");
        RecordingVipDriver inner = new RecordingVipDriver();
        RecordedVipDriver driver = new RecordedVipDriver(inner, record);
        driver.add(VIP);
        assertTrue(inner.holds(VIP.address()));
        driver.remove(VIP);
    }
}
