package dev.tandem.cluster.vip;

import dev.tandem.conf.VipConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A VIP driver that only remembers: which addresses it holds, which it withdrew or forwards (and to whom), and
 * every call with its time.
 */
public final class RecordingVipDriver implements VipDriver {

    /**
     * One call: {@code op} is add, remove, announce, quiet (stopAnnouncing), withdraw, forward (to {@code arg}),
     * stop-forwarding or remove-rules; a failed one ends in -failed.
     */
    public record Call(String op, String vip, String arg, long nanos) {
    }

    private final Set<String> present = ConcurrentHashMap.newKeySet();
    private final Set<String> withdrawn = ConcurrentHashMap.newKeySet();
    private final Map<String, String> forwarding = new ConcurrentHashMap<>();
    private final List<Call> calls = new ArrayList<>();
    private final AtomicInteger failNext = new AtomicInteger();
    private final Map<String, AtomicInteger> failNextOf = new ConcurrentHashMap<>();

    public RecordingVipDriver(String... presentAtStart) {
        present.addAll(List.of(presentAtStart));
    }

    private void record(String op, VipConfig vip) throws IOException {
        record(op, vip, "");
    }

    private synchronized void record(String op, VipConfig vip, String arg) throws IOException {
        AtomicInteger ofOp = failNextOf.get(op);
        if (failNext.get() > 0 || ofOp != null && ofOp.get() > 0) {
            (ofOp != null && ofOp.get() > 0 ? ofOp : failNext).decrementAndGet();
            calls.add(new Call(op + "-failed", vip.address(), arg, System.nanoTime()));
            throw new IOException(op + " " + vip.address() + ": failing on purpose");
        }
        calls.add(new Call(op, vip.address(), arg, System.nanoTime()));
    }

    /** The next {@code n} calls fail. */
    public void failNext(int n) {
        failNext.set(n);
    }

    /** The next {@code n} calls of {@code op} fail. */
    public void failNext(String op, int n) {
        failNextOf.put(op, new AtomicInteger(n));
    }

    @Override
    public void add(VipConfig vip) throws IOException {
        record("add", vip);
        present.add(vip.address());
        withdrawn.remove(vip.address());
    }

    @Override
    public void remove(VipConfig vip) throws IOException {
        record("remove", vip);
        present.remove(vip.address());
        withdrawn.remove(vip.address());
        forwarding.remove(vip.address());
    }

    @Override
    public boolean present(VipConfig vip) {
        return present.contains(vip.address());
    }

    @Override
    public void announce(VipConfig vip) throws IOException {
        record("announce", vip);
    }

    @Override
    public void stopAnnouncing(VipConfig vip) {
        synchronized (this) {
            calls.add(new Call("quiet", vip.address(), "", System.nanoTime()));
        }
    }

    @Override
    public void withdraw(VipConfig vip) throws IOException {
        record("withdraw", vip);
        withdrawn.add(vip.address());
    }

    @Override
    public void forward(VipConfig vip, InetAddress oldHolder) throws IOException {
        record("forward", vip, oldHolder.getHostAddress());
        forwarding.put(vip.address(), oldHolder.getHostAddress());
    }

    @Override
    public long stopForwarding(VipConfig vip) throws IOException {
        record("stop-forwarding", vip);
        forwarding.remove(vip.address());
        return 0;
    }

    @Override
    public void removeRules(VipConfig vip) throws IOException {
        record("remove-rules", vip);
        withdrawn.remove(vip.address());
        forwarding.remove(vip.address());
    }

    /** Whether this host answers no neighbour request for {@code vip} (withdrawn while it drains). */
    public boolean withdrawn(String vip) {
        return withdrawn.contains(vip);
    }

    /** The old holder segments for {@code vip} are passed on to, or null. */
    public String forwardingTo(String vip) {
        return forwarding.get(vip);
    }

    public boolean holds(String vip) {
        return present.contains(vip);
    }

    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** Time of the first call {@code op} on {@code vip}, or -1. */
    public synchronized long first(String op, String vip) {
        return calls.stream().filter(c -> c.op().equals(op) && c.vip().equals(vip)).mapToLong(Call::nanos)
                .findFirst().orElse(-1);
    }

    /** Time of the last call {@code op} on {@code vip}, or -1. */
    public synchronized long last(String op, String vip) {
        return calls.stream().filter(c -> c.op().equals(op) && c.vip().equals(vip)).mapToLong(Call::nanos)
                .max().orElse(-1);
    }
}
