package dev.tandem.cluster.vip;

import dev.tandem.conf.VipConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A VIP driver that only remembers: which addresses it holds, and every call with its time. */
public final class RecordingVipDriver implements VipDriver {

    /** One call: {@code op} is add, remove or announce. */
    public record Call(String op, String vip, long nanos) {
    }

    private final Set<String> present = ConcurrentHashMap.newKeySet();
    private final List<Call> calls = new ArrayList<>();
    private final AtomicInteger failNext = new AtomicInteger();

    public RecordingVipDriver(String... presentAtStart) {
        present.addAll(List.of(presentAtStart));
    }

    private synchronized void record(String op, VipConfig vip) throws IOException {
        if (failNext.get() > 0) {
            failNext.decrementAndGet();
            calls.add(new Call(op + "-failed", vip.address(), System.nanoTime()));
            throw new IOException(op + " " + vip.address() + ": failing on purpose");
        }
        calls.add(new Call(op, vip.address(), System.nanoTime()));
    }

    /** The next {@code n} calls fail. */
    public void failNext(int n) {
        failNext.set(n);
    }

    @Override
    public void add(VipConfig vip) throws IOException {
        record("add", vip);
        present.add(vip.address());
    }

    @Override
    public void remove(VipConfig vip) throws IOException {
        record("remove", vip);
        present.remove(vip.address());
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
            calls.add(new Call("quiet", vip.address(), System.nanoTime()));
        }
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
}
