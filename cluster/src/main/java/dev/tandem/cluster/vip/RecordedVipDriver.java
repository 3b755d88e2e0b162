package dev.tandem.cluster.vip;

import dev.tandem.conf.VipConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VIP driver that keeps {@link HeldAddresses} up to date around another: what it is about to add (the table of
 * {@link VipDriver#withdraw} or {@link VipDriver#forward}) is recorded first, an address as soon as it is added
 * (or its add failed), and each is struck off once removed, so that whatever a killed process leaves on the host
 * is in the record, or is an address of a VIP of the config, which the cleanup removes all the same.
 *
 * <p>A record that cannot be written does not stop the VIP: a node that could not take its address over a full
 * disk would fail the site for a bookkeeping error. It is logged (once, until a write succeeds again), and the
 * cleanup still removes what the config's VIPs would leave.
 */
public final class RecordedVipDriver implements VipDriver {

    private static final Logger log = LoggerFactory.getLogger(RecordedVipDriver.class);

    private final VipDriver driver;
    private final HeldAddresses record;
    private final AtomicBoolean failing = new AtomicBoolean();

    public RecordedVipDriver(VipDriver driver, HeldAddresses record) {
        this.driver = driver;
        this.record = record;
    }

    @Override
    public void prepare(VipConfig vip) {
        driver.prepare(vip);
    }

    @Override
    public void add(VipConfig vip) throws IOException {
        // Recorded once added, not before: the add sends the takeover's first gratuitous ARP (the helper), and
        // the write, a file renamed on a busy disk, would come before it. A process killed in between leaves an
        // address of a VIP of its config, which the cleanup and the next start remove without the record.
        try {
            driver.add(vip);
        } finally {
            record(Held.address(vip));
        }
    }

    @Override
    public void remove(VipConfig vip) throws IOException {
        driver.remove(vip);
        // The address and whatever withdraw and forward put in place for it.
        strikeOff(Held.of(vip));
    }

    @Override
    public boolean present(VipConfig vip) throws IOException {
        return driver.present(vip);
    }

    @Override
    public void announce(VipConfig vip) throws IOException {
        driver.announce(vip);
    }

    @Override
    public void stopAnnouncing(VipConfig vip) {
        driver.stopAnnouncing(vip);
    }

    @Override
    public void withdraw(VipConfig vip) throws IOException {
        if (!IpCommandDriver.v6(vip)) {
            record(Held.quiet(vip));
        }
        driver.withdraw(vip);
    }

    @Override
    public void forward(VipConfig vip, InetAddress oldHolder) throws IOException {
        if (!IpCommandDriver.v6(vip)) {
            record(Held.forwarding(vip));
        }
        driver.forward(vip, oldHolder);
    }

    @Override
    public long stopForwarding(VipConfig vip) throws IOException {
        long passed = driver.stopForwarding(vip);
        strikeOff(List.of(Held.forwarding(vip)));
        return passed;
    }

    @Override
    public void removeRules(VipConfig vip) throws IOException {
        driver.removeRules(vip);
        strikeOff(List.of(Held.quiet(vip), Held.forwarding(vip)));
    }

    private void record(Held thing) {
        try {
            record.add(thing);
            recovered();
        } catch (IOException e) {
            if (failing.compareAndSet(false, true)) {
                log.warn("cannot record {} in {} ({}): after a crash, tandem cleanup removes it only if the config "
                        + "still lists its VIP", thing.line(), record.file(), e.toString());
            }
        }
    }

    private void strikeOff(List<Held> things) {
        try {
            record.remove(things);
            recovered();
        } catch (IOException e) {
            // Listed but gone: the cleanup finds nothing to remove.
            if (failing.compareAndSet(false, true)) {
                log.warn("cannot update {} ({})", record.file(), e.toString());
            }
        }
    }

    private void recovered() {
        if (failing.compareAndSet(true, false)) {
            log.info("{} written again", record.file());
        }
    }
}
