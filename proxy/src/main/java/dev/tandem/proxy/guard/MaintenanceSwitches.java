package dev.tandem.proxy.guard;

import dev.tandem.conf.Config;
import dev.tandem.conf.SiteConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maintenance switched at run time ({@code tandem maintenance on|off SITE}, the admin API), by site name,
 * over what the config says. A switch outlives reloads that leave the site's {@code maintenance.enabled} as
 * it was (an unrelated edit does not end a maintenance window), and gives way to a reload that changes it:
 * the later decision wins. It is lost at a restart, and it is this node's alone: the config is the place for
 * what must hold on every node and after a restart.
 *
 * <p>Requests read an immutable map with one volatile read; switching happens on the admin thread.
 */
public final class MaintenanceSwitches {

    private static final Logger log = LoggerFactory.getLogger(MaintenanceSwitches.class);

    private volatile Map<String, Boolean> switched = Map.of();

    /** Whether maintenance is on for site {@code name}, whose config says {@code configured}. */
    public boolean on(String name, boolean configured) {
        Map<String, Boolean> s = switched;
        if (s.isEmpty()) {
            return configured;
        }
        Boolean b = s.get(name);
        return b != null ? b : configured;
    }

    /** The run-time switch of site {@code name}, if one is set. */
    public Optional<Boolean> switched(String name) {
        return Optional.ofNullable(switched.get(name));
    }

    public synchronized void set(String name, boolean on) {
        Map<String, Boolean> next = new HashMap<>(switched);
        next.put(name, on);
        switched = Map.copyOf(next);
    }

    /** Drops the switch of site {@code name}: the config decides again. */
    public synchronized void clear(String name) {
        Map<String, Boolean> next = new HashMap<>(switched);
        next.remove(name);
        switched = Map.copyOf(next);
    }

    /**
     * A new config comes into force: switches of sites it no longer has, or whose {@code maintenance.enabled}
     * it changes, are dropped.
     */
    public synchronized void reconcile(Config previous, Config next) {
        if (switched.isEmpty()) {
            return;
        }
        Map<String, Boolean> kept = new HashMap<>();
        switched.forEach((name, on) -> {
            SiteConfig before = previous == null ? null : site(previous, name);
            SiteConfig after = site(next, name);
            if (after == null) {
                log.info("site {}: maintenance switched {} at run time ends: the config no longer has the site", name,
                        on ? "on" : "off");
            } else if (before != null && before.maintenance().enabled() != after.maintenance().enabled()) {
                log.info("site {}: maintenance switched {} at run time gives way to the config's enabled: {}", name,
                        on ? "on" : "off", after.maintenance().enabled());
            } else {
                kept.put(name, on);
            }
        });
        switched = Map.copyOf(kept);
    }

    private static SiteConfig site(Config c, String name) {
        for (SiteConfig s : c.sites()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }
}
