package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How a route's access rules and error pages go over its site's. */
class RouteGuardRulesTest {

    private static final AccessRules.BasicAuth SITE_AUTH = new AccessRules.BasicAuth("site", Path.of("/s"));
    private static final AccessRules.BasicAuth ROUTE_AUTH = new AccessRules.BasicAuth("route", Path.of("/r"));
    private static final AccessRules SITE = new AccessRules(List.of(Cidr.parse("10.0.0.0/8")),
            List.of(Cidr.parse("10.9.0.0/16")), Optional.of(SITE_AUTH));

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void aRouteWithoutRulesHasTheSites() {
        assertEquals(SITE, AccessRules.OPEN.over(SITE));
    }

    @Test
    void aRoutesAddressListsReplaceTheSitesWholeAndItsBasicAuthIsKept() throws Exception {
        AccessRules route = new AccessRules(List.of(Cidr.parse("192.0.2.0/24")), List.of(), Optional.empty());
        AccessRules in = route.over(SITE);
        assertTrue(in.admits(ip("192.0.2.1")));
        assertFalse(in.admits(ip("10.1.1.1")), "the site's allow list is not added to the route's");
        assertEquals(List.of(), in.deny(), "nor is its deny list");
        assertEquals(Optional.of(SITE_AUTH), in.basicAuth());

        AccessRules denyOnly = new AccessRules(List.of(), List.of(Cidr.parse("10.1.0.0/16")), Optional.empty()).over(SITE);
        assertFalse(denyOnly.admits(ip("10.1.1.1")));
        assertTrue(denyOnly.admits(ip("192.0.2.1")), "a route's deny alone replaces the site's allow too (nginx)");
    }

    @Test
    void aRoutesBasicAuthReplacesTheSitesAndKeepsItsAddressLists() throws Exception {
        AccessRules in = new AccessRules(List.of(), List.of(), Optional.of(ROUTE_AUTH)).over(SITE);
        assertEquals(Optional.of(ROUTE_AUTH), in.basicAuth());
        assertFalse(in.admits(ip("192.0.2.1")));
        assertTrue(in.admits(ip("10.1.1.1")));
    }

    @Test
    void aRoutesPagesGoOverTheSitesStatusByStatus() {
        ErrorPages site = new ErrorPages(Map.of(404, ErrorPages.Page.file(Path.of("/site404")),
                503, ErrorPages.Page.file(Path.of("/site503"))));
        ErrorPages route = new ErrorPages(Map.of(404, ErrorPages.Page.file(Path.of("/route404"))));
        ErrorPages in = route.over(site);
        assertEquals(Optional.of(Path.of("/route404")), in.page(404).get().file());
        assertEquals(Optional.of(Path.of("/site503")), in.page(503).get().file());
        assertSame(site, ErrorPages.NONE.over(site));
    }
}
