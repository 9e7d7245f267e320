"""Demo traffic for `soc demo`: simulated Đà Nẵng agencies sending real packets over loopback."""

from collectors.demo.agencies import DEMO_AGENCIES, DEMO_SITES, DemoSite
from collectors.demo.traffic import DemoTraffic

__all__ = ["DEMO_AGENCIES", "DEMO_SITES", "DemoSite", "DemoTraffic"]
