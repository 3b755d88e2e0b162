package dev.tandem.cluster.vip;

import dev.tandem.conf.VipConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Takes off the host what a node put there and left (killed, crashed, failed to start): addresses on their
 * interfaces, nftables tables of a handover. Each thing is looked for first and removed only when there, so
 * running it twice, or on a host where nothing is left, does nothing. Blocking (runs {@code ip} and {@code nft}).
 */
public final class HostCleanup {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final CommandRunner runner;
    private final Function<String, Optional<String>> locate;

    public HostCleanup(CommandRunner runner) {
        this(runner, IpCommandDriver::onPath);
    }

    /** @param locate a tool's path by its name ({@code nft}), or empty when it is not installed */
    public HostCleanup(CommandRunner runner, Function<String, Optional<String>> locate) {
        this.runner = runner;
        this.locate = locate;
    }

    /** What removing it did. */
    public record Outcome(Held thing, boolean removed, Optional<String> problem) {
    }

    /** Everything the driver may have put on the host for these VIPs. */
    public static List<Held> leftBy(Collection<VipConfig> vips) {
        List<Held> all = new ArrayList<>();
        vips.forEach(v -> all.addAll(Held.of(v)));
        return all;
    }

    /**
     * Removes each of {@code things} that is on the host.
     *
     * @return one outcome per thing (duplicates once): removed, not there, or the reason it is still there
     */
    public List<Outcome> remove(Collection<Held> things) {
        List<Outcome> outcomes = new ArrayList<>();
        String tables = null;
        for (Held thing : new java.util.LinkedHashSet<>(things)) {
            try {
                if (thing instanceof Held.Address a) {
                    outcomes.add(removeAddress(a));
                } else if (thing instanceof Held.Table t) {
                    Optional<String> nft = locate.apply("nft");
                    if (nft.isEmpty()) {
                        // Without nft no table was made here since it went; one made before cannot be removed.
                        outcomes.add(new Outcome(thing, false, Optional.empty()));
                        continue;
                    }
                    if (tables == null) {
                        tables = listTables(nft.get());
                    }
                    outcomes.add(removeTable(nft.get(), t, tables));
                }
            } catch (IOException e) {
                outcomes.add(new Outcome(thing, false, Optional.of(e.getMessage())));
            }
        }
        return outcomes;
    }

    private Outcome removeAddress(Held.Address a) throws IOException {
        if (!addressThere(a)) {
            return new Outcome(a, false, Optional.empty());
        }
        List<String> del = List.of("ip", "addr", "del", a.cidr(), "dev", a.iface());
        CommandRunner.Result r = runner.run(del, TIMEOUT);
        if (addressThere(a)) {
            return new Outcome(a, false, Optional.of(String.join(" ", del) + ": exit " + r.exit() + ": " + r.output()));
        }
        return new Outcome(a, true, Optional.empty());
    }

    private boolean addressThere(Held.Address a) throws IOException {
        List<String> show = List.of("ip", "-o", "addr", "show", "dev", a.iface());
        CommandRunner.Result r = runner.run(show, TIMEOUT);
        if (!r.ok()) {
            if (r.output().contains("does not exist")) {
                // The interface is gone, and its addresses with it.
                return false;
            }
            throw new IOException(String.join(" ", show) + ": exit " + r.exit() + ": " + r.output());
        }
        String address = a.cidr().substring(0, a.cidr().indexOf('/'));
        return IpCommandDriver.listed(r.output(), address);
    }

    private String listTables(String nft) throws IOException {
        CommandRunner.Result r = runner.run(List.of(nft, "list", "tables"), TIMEOUT);
        if (!r.ok()) {
            throw new IOException("nft list tables: exit " + r.exit() + ": " + r.output());
        }
        return r.output();
    }

    private Outcome removeTable(String nft, Held.Table t, String tables) throws IOException {
        if (!tables.lines().map(String::trim).anyMatch(l -> l.equals("table " + t.family() + " " + t.name()))) {
            return new Outcome(t, false, Optional.empty());
        }
        CommandRunner.Result r = runner.run(List.of(nft, "delete", "table", t.family(), t.name()), TIMEOUT);
        if (!r.ok()) {
            return new Outcome(t, false, Optional.of("nft delete table " + t.family() + " " + t.name() + ": exit "
                    + r.exit() + ": " + r.output()));
        }
        return new Outcome(t, true, Optional.empty());
    }
}
