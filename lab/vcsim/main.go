// Command vigil-vcsim runs govmomi's vCenter simulator as the vigil.ha lab:
// a named inventory, TLS from the lab's own CA, password checking, a fault
// injection control on loopback, and an outage switch in front of the SDK.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

type config struct {
	listen, control, stateFile string
	cert, key                  string
	user, password             string
	datacenter, cluster        string
	hosts                      int
	vms                        string
	fillers                    int
	hookURL                    string
	powerHook, hookVMs         string
}

func parseFlags() config {
	var c config
	flag.StringVar(&c.listen, "listen", "127.0.0.1:8989", "public SDK address (host:port)")
	flag.StringVar(&c.control, "control", "127.0.0.1:8990", "fault-injection control address (loopback)")
	flag.StringVar(&c.stateFile, "state", "", "write a JSON readiness file here")
	flag.StringVar(&c.cert, "cert", "", "server certificate (PEM)")
	flag.StringVar(&c.key, "key", "", "server key (PEM)")
	flag.StringVar(&c.user, "username", "administrator@vsphere.local", "accepted user")
	flag.StringVar(&c.password, "password", "", "accepted password (or VIGIL_LAB_PASSWORD)")
	flag.StringVar(&c.datacenter, "datacenter", "dc1", "datacenter name")
	flag.StringVar(&c.cluster, "cluster", "cluster1", "cluster name")
	flag.IntVar(&c.hosts, "hosts", 3, "ESXi hosts in the cluster")
	flag.StringVar(&c.vms, "vms", "node1,node2,node3", "named VMs, comma separated")
	flag.IntVar(&c.fillers, "fillers", 0, "number of filler VMs")
	flag.StringVar(&c.powerHook, "power-hook", "", "shell command run as `<command> <vm> <powerState>` on every power change of a -hook-vms VM")
	flag.StringVar(&c.hookVMs, "hook-vms", "", "VMs (names, comma separated) whose power changes run -power-hook")
	flag.Parse()
	if c.password == "" {
		c.password = os.Getenv("VIGIL_LAB_PASSWORD")
	}
	if c.password == "" || c.cert == "" || c.key == "" {
		log.Fatal("vigil-vcsim: -password (or VIGIL_LAB_PASSWORD), -cert and -key are required")
	}
	return c
}

func main() {
	cfg := parseFlags()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)

	pair, err := tls.LoadX509KeyPair(cfg.cert, cfg.key)
	if err != nil {
		log.Fatalf("vigil-vcsim: loading certificate: %v", err)
	}

	model := simulator.VPX()
	model.Datacenter = 1
	model.Cluster = 1
	model.ClusterHost = cfg.hosts
	model.Host = 0
	model.Machine = 0
	model.Datastore = 1
	model.Portgroup = 0
	if err := model.Create(); err != nil {
		log.Fatalf("vigil-vcsim: creating model: %v", err)
	}
	defer model.Remove()

	// The simulator itself listens on a private port; the public port is the
	// outage switch (proxy.go), so a "vCenter outage" keeps the inventory.
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(cfg.user, cfg.password)}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	server := model.Service.NewServer()
	defer server.Close()

	sw, err := newSwitch(cfg.listen, server.Listener.Addr().String())
	if err != nil {
		log.Fatalf("vigil-vcsim: %v", err)
	}
	simulator.Map.SessionManager().ServiceHostName = sw.addr

	ctx := context.Background()
	inv, err := buildInventory(ctx, server.URL, cfg)
	if err != nil {
		log.Fatalf("vigil-vcsim: building inventory: %v", err)
	}
	simulator.Map.AddHandler(&toolsEmulator{})
	var hook *powerHook
	if cfg.powerHook != "" {
		hook = newPowerHook(cfg.powerHook, cfg.hookVMs)
		simulator.Map.AddHandler(hook)
	}
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		if vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
			setTools(vm.Reference(), true, types.ManagedEntityStatusGreen)
		}
	}

	mgmt, err := newHostMgmt(inv.hosts)
	if err != nil {
		log.Fatalf("vigil-vcsim: management endpoints: %v", err)
	}
	ctl := &control{sw: sw, model: model, mgmt: mgmt, hook: hook}
	cl, err := net.Listen("tcp", cfg.control)
	if err != nil {
		log.Fatalf("vigil-vcsim: control listener: %v", err)
	}
	if ip := cl.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		log.Fatalf("vigil-vcsim: control must listen on loopback, not %s", ip)
	}
	go ctl.serve(cl)

	if cfg.stateFile != "" {
		state := map[string]interface{}{
			"pid":        os.Getpid(),
			"url":        "https://" + sw.addr + "/sdk",
			"hostname":   strings.Split(sw.addr, ":")[0],
			"port":       sw.port(),
			"control":    "http://" + cl.Addr().String(),
			"datacenter": cfg.datacenter,
			"cluster":    cfg.cluster,
			"hosts":      inv.hosts,
			"vms":        inv.named,
			"fillers":    cfg.fillers,
		}
		if hook != nil {
			state["power_hook"] = cfg.powerHook
			state["hook_vms"] = hook.names()
		}
		data, _ := json.MarshalIndent(state, "", "  ")
		tmp := cfg.stateFile + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			log.Fatalf("vigil-vcsim: writing state: %v", err)
		}
		if err := os.Rename(tmp, cfg.stateFile); err != nil {
			log.Fatalf("vigil-vcsim: writing state: %v", err)
		}
	}
	fmt.Printf("vigil-vcsim ready: sdk=https://%s/sdk control=http://%s vms=%d\n",
		sw.addr, cl.Addr(), len(inv.named)+cfg.fillers)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	sw.stop()
	if cfg.stateFile != "" {
		_ = os.Remove(cfg.stateFile)
	}
}
