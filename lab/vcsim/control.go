package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// control is the lab's fault-injection API (loopback only). Every fault
// changes the simulator's own objects through the registry, so property
// collectors and WaitForUpdatesEx report it as they would a real change.
//
//	GET  /status                        outage state, delays, counts
//	GET  /vms?name=N                    identities of the VMs called N
//	GET  /hosts[?name=N]                connection and power state of the hosts (the lab's BMCs read it)
//	GET  /hosts also gives each host's management endpoint (mgmt_address, mgmt_port)
//	POST /hosts/{name}/fail|recover     host notResponding (VMs disconnected) and back; fail is a
//	                                    hang: its VMs keep running, its management endpoint is silent
//	POST /hosts/{name}/crash            the host dies: management endpoint silent, lab nodes on it
//	                                    dark (power hook), vCenter still shows it connected and on
//	                                    (its BMC too) until notice; then as fail
//	     ?notice=SECONDS                (fail, crash) vCenter marks it notResponding only after this
//	POST /hosts/{name}/poweroff         host powered off (as through its BMC): notResponding,
//	                                    its VMs disconnected and off; recover powers it on,
//	                                    its VMs stay off (as after a reboot)
//	POST /vms/{name|moref}/crash        powered off without a task
//	POST /vms/{name|moref}/poweron      powered on without a task
//	POST /vms/{name|moref}/heartbeat?status=green|yellow|red|gray
//	POST /vms/{name|moref}/tools?running=true|false
//	POST /vms/{name|moref}/rename?to=NAME   rename (two VMs may then share a name)
//	POST /delay?method=M&ms=N           delay a SOAP method (ms=0 clears)
//	POST /vcenter/stop|start            SDK outage, inventory kept
type control struct {
	sw    *outageSwitch
	model *simulator.Model
	mgmt  *hostMgmt  // each host's management endpoint (hostmgmt.go)
	hook  *powerHook // nil without lab nodes
}

type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func fail(code int, format string, a ...interface{}) error {
	return &httpError{code, fmt.Sprintf(format, a...)}
}

func (c *control) serve(ln net.Listener) {
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := c.route(r)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			code := http.StatusInternalServerError
			if he, ok := err.(*httpError); ok {
				code = he.code
			}
			w.WriteHeader(code)
			out = map[string]string{"error": err.Error()}
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
}

func (c *control) route(r *http.Request) (interface{}, error) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	if r.Method == http.MethodGet {
		switch parts[0] {
		case "status":
			return c.status(), nil
		case "vms":
			return vmIdentities(vmsNamed(q.Get("name"))), nil
		case "hosts":
			return c.hostStates(q.Get("name")), nil
		}
		return nil, fail(http.StatusNotFound, "unknown path %s", r.URL.Path)
	}
	if r.Method != http.MethodPost {
		return nil, fail(http.StatusMethodNotAllowed, "use GET or POST")
	}
	switch {
	case len(parts) == 3 && parts[0] == "hosts":
		return c.hostFault(parts[1], parts[2], q.Get("notice"))
	case len(parts) == 3 && parts[0] == "vms" && parts[2] == "rename":
		return c.renameVM(parts[1], q.Get("to"))
	case len(parts) == 3 && parts[0] == "vms":
		return c.vmFault(parts[1], parts[2], q.Get("status"), q.Get("running"))
	case len(parts) == 1 && parts[0] == "delay":
		return c.setDelay(q.Get("method"), q.Get("ms"))
	case len(parts) == 2 && parts[0] == "vcenter" && parts[1] == "stop":
		c.sw.stop()
		return c.status(), nil
	case len(parts) == 2 && parts[0] == "vcenter" && parts[1] == "start":
		if err := c.sw.start(); err != nil {
			return nil, err
		}
		return c.status(), nil
	}
	return nil, fail(http.StatusNotFound, "unknown path %s", r.URL.Path)
}

func (c *control) status() map[string]interface{} {
	return map[string]interface{}{
		"sdk_up":       c.sw.up(),
		"method_delay": c.model.DelayConfig.MethodDelay,
		"vms":          len(simulator.Map.All("VirtualMachine")),
		"hosts":        len(simulator.Map.All("HostSystem")),
	}
}

func (c *control) setDelay(method, ms string) (interface{}, error) {
	n, err := strconv.Atoi(ms)
	if method == "" || err != nil || n < 0 {
		return nil, fail(http.StatusBadRequest, "delay needs method=<SOAP method> and ms=<non-negative integer>")
	}
	// Copy on write: the SOAP handler reads this map concurrently.
	next := map[string]int{}
	for k, v := range c.model.DelayConfig.MethodDelay {
		next[k] = v
	}
	if n == 0 {
		delete(next, method)
	} else {
		next[method] = n
	}
	c.model.DelayConfig.MethodDelay = next
	return c.status(), nil
}

func (c *control) hostFault(name, action, notice string) (interface{}, error) {
	h := hostNamed(name)
	if h == nil {
		return nil, fail(http.StatusNotFound, "no host named %q", name)
	}
	delay := 0
	if notice != "" {
		n, err := strconv.Atoi(notice)
		if err != nil || n < 0 || (action != "fail" && action != "crash") {
			return nil, fail(http.StatusBadRequest, "notice=<seconds, 0 or more> is for fail and crash only")
		}
		delay = n
	}
	switch action {
	case "fail", "crash":
		// The host stops answering at once (its hostd endpoint); vCenter notices after notice seconds.
		c.mgmt.down(name)
		if action == "crash" {
			c.mgmt.crashed(name, true)
			c.darken(h) // a dead host runs nothing, whatever vCenter still shows
		}
		if delay > 0 {
			c.mgmt.later(name, time.Duration(delay)*time.Second, func() { markHost(h, "fail") })
			return map[string]interface{}{"host": name, "connection_state": h.Runtime.ConnectionState,
				"notice_in": delay, "vms": vmsOn(h)}, nil
		}
		return markHost(h, "fail"), nil
	case "poweroff":
		c.mgmt.cancel(name)
		c.mgmt.crashed(name, false) // its VMs are shown off now
		c.mgmt.down(name)
		return markHost(h, action), nil
	case "recover":
		c.mgmt.cancel(name)
		if c.mgmt.crashed(name, false) {
			markHost(h, "poweroff") // back from a crash: what it ran is off, as after a reboot
		}
		if err := c.mgmt.up(name); err != nil {
			return nil, err
		}
		return markHost(h, action), nil
	}
	return nil, fail(http.StatusNotFound, "host action must be fail, crash, poweroff or recover, not %q", action)
}

// darken runs the power hook "poweredOff" for the lab nodes on a crashed
// host without changing what vCenter shows: their namespaces go dark.
func (c *control) darken(h *simulator.HostSystem) {
	if c.hook == nil {
		return
	}
	for _, name := range vmsOn(h) {
		if c.hook.vms[name] {
			c.hook.enqueue(name, string(types.VirtualMachinePowerStatePoweredOff))
		}
	}
}

func vmsOn(h *simulator.HostSystem) []string {
	vms := []string{}
	for _, e := range simulator.Map.All("VirtualMachine") {
		obj, ok := e.(*simulator.VirtualMachine)
		if ok && obj.Runtime.Host != nil && *obj.Runtime.Host == h.Reference() {
			vms = append(vms, obj.Name)
		}
	}
	return vms
}

// markHost changes what vCenter shows of a host and its VMs: fail (not
// responding, VMs disconnected), poweroff (also off) or recover.
func markHost(h *simulator.HostSystem, action string) map[string]interface{} {
	hostState, vmState, status := types.HostSystemConnectionStateConnected, types.VirtualMachineConnectionStateConnected, types.ManagedEntityStatusGreen
	power := types.HostSystemPowerStatePoweredOn
	if action == "fail" || action == "poweroff" {
		hostState, vmState, status = types.HostSystemConnectionStateNotResponding, types.VirtualMachineConnectionStateDisconnected, types.ManagedEntityStatusGray
		if action == "poweroff" {
			power = types.HostSystemPowerStatePoweredOff
		}
	}
	update(h, []types.PropertyChange{
		{Name: "runtime.connectionState", Val: hostState},
		{Name: "summary.runtime.connectionState", Val: hostState},
		{Name: "runtime.powerState", Val: power},
		{Name: "summary.runtime.powerState", Val: power},
		{Name: "overallStatus", Val: status},
		{Name: "summary.overallStatus", Val: status},
	})
	var vms []string
	// By runtime.host, not h.Vm: vcsim's RelocateVM leaves h.Vm as it was.
	for _, e := range simulator.Map.All("VirtualMachine") {
		obj, ok := e.(*simulator.VirtualMachine)
		if !ok || obj.Runtime.Host == nil || *obj.Runtime.Host != h.Reference() {
			continue
		}
		changes := []types.PropertyChange{
			{Name: "runtime.connectionState", Val: vmState},
			{Name: "summary.runtime.connectionState", Val: vmState},
			{Name: "overallStatus", Val: status},
			{Name: "summary.overallStatus", Val: status},
		}
		if action == "poweroff" {
			off := types.VirtualMachinePowerStatePoweredOff
			changes = append(changes, types.PropertyChange{Name: "runtime.powerState", Val: off},
				types.PropertyChange{Name: "summary.runtime.powerState", Val: off})
		}
		update(obj, changes)
		vms = append(vms, obj.Name)
	}
	return map[string]interface{}{"host": h.Name, "connection_state": hostState, "vms": vms}
}

// hostStates reports the hosts called name (every host when name is empty).
func (c *control) hostStates(name string) []map[string]interface{} {
	out := []map[string]interface{}{}
	for _, e := range simulator.Map.All("HostSystem") {
		h, ok := e.(*simulator.HostSystem)
		if !ok || (name != "" && h.Name != name) {
			continue
		}
		out = append(out, map[string]interface{}{
			"name":             h.Name,
			"moref":            h.Self.Value,
			"connection_state": h.Runtime.ConnectionState,
			"power_state":      h.Runtime.PowerState,
			"mgmt_address":     "127.0.0.1",
			"mgmt_port":        c.mgmtPort(h.Name),
		})
	}
	return out
}

func (c *control) vmFault(key, action, status, running string) (interface{}, error) {
	vm, err := vmByKey(key)
	if err != nil {
		return nil, err
	}
	ref := vm.Reference()
	switch action {
	case "crash", "poweron":
		state := types.VirtualMachinePowerStatePoweredOff
		if action == "poweron" {
			state = types.VirtualMachinePowerStatePoweredOn
		}
		update(vm, []types.PropertyChange{
			{Name: "runtime.powerState", Val: state},
			{Name: "summary.runtime.powerState", Val: state},
		})
	case "heartbeat":
		switch types.ManagedEntityStatus(status) {
		case types.ManagedEntityStatusGreen, types.ManagedEntityStatusYellow,
			types.ManagedEntityStatusRed, types.ManagedEntityStatusGray:
			setHeartbeat(ref, types.ManagedEntityStatus(status))
		default:
			return nil, fail(http.StatusBadRequest, "heartbeat status must be green, yellow, red or gray, not %q", status)
		}
	case "tools":
		on, err := strconv.ParseBool(running)
		if err != nil {
			return nil, fail(http.StatusBadRequest, "tools needs running=true|false")
		}
		hb := types.ManagedEntityStatusGray
		if on {
			hb = types.ManagedEntityStatusGreen
		}
		setTools(ref, on, hb)
	default:
		return nil, fail(http.StatusNotFound, "vm action must be crash, poweron, heartbeat or tools, not %q", action)
	}
	return vmIdentities([]*simulator.VirtualMachine{vm})[0], nil
}

// renameVM renames a VM as RenameVM_Task would; vCenter allows two VMs of
// one name in different folders, which is what the lab uses this for.
func (c *control) renameVM(key, to string) (interface{}, error) {
	if to == "" {
		return nil, fail(http.StatusBadRequest, "rename needs to=<new name>")
	}
	vm, err := vmByKey(key)
	if err != nil {
		return nil, err
	}
	update(vm, []types.PropertyChange{
		{Name: "name", Val: to},
		{Name: "config.name", Val: to},
		{Name: "summary.config.name", Val: to},
	})
	return vmIdentities([]*simulator.VirtualMachine{vm})[0], nil
}

func vmByKey(key string) (*simulator.VirtualMachine, error) {
	if obj := simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachine", Value: key}); obj != nil {
		return obj.(*simulator.VirtualMachine), nil
	}
	vms := vmsNamed(key)
	switch len(vms) {
	case 0:
		return nil, fail(http.StatusNotFound, "no VM named %q", key)
	case 1:
		return vms[0], nil
	}
	return nil, fail(http.StatusConflict, "%d VMs are named %q: use the MoRef", len(vms), key)
}

func vmIdentities(vms []*simulator.VirtualMachine) []map[string]interface{} {
	out := []map[string]interface{}{}
	for _, vm := range vms {
		host := ""
		if vm.Runtime.Host != nil {
			if h, ok := simulator.Map.Get(*vm.Runtime.Host).(*simulator.HostSystem); ok {
				host = h.Name
			}
		}
		out = append(out, map[string]interface{}{
			"name":          vm.Name,
			"moref":         vm.Self.Value,
			"uuid":          vm.Config.Uuid,
			"instance_uuid": vm.Config.InstanceUuid,
			"host":          host,
			"power_state":   vm.Runtime.PowerState,
			"connection":    vm.Runtime.ConnectionState,
			"tools":         vm.Guest.ToolsRunningStatus,
			"heartbeat":     vm.GuestHeartbeatStatus,
		})
	}
	return out
}

func (c *control) mgmtPort(name string) int {
	_, p, err := net.SplitHostPort(c.mgmt.addr(name))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}
