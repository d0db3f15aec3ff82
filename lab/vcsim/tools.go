package main

import (
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// bootDelay is how long "VMware Tools" takes to come up after a power-on.
var bootDelay = 300 * time.Millisecond

// toolsEmulator makes Tools and the guest heartbeat follow the power state,
// as they do on a real ESXi host; vcsim alone leaves them unset.
type toolsEmulator struct{}

func (t *toolsEmulator) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VigilToolsEmulator", Value: "tools-emulator"}
}

func (t *toolsEmulator) PutObject(mo.Reference)                    {}
func (t *toolsEmulator) RemoveObject(types.ManagedObjectReference) {}

func (t *toolsEmulator) UpdateObject(obj mo.Reference, changes []types.PropertyChange) {
	// obj is the embedded mo.VirtualMachine, not the simulator's wrapper.
	ref := obj.Reference()
	if ref.Type != "VirtualMachine" {
		return
	}
	for _, c := range changes {
		if c.Name != "runtime.powerState" {
			continue
		}
		switch c.Val {
		case types.VirtualMachinePowerStatePoweredOn:
			// Outside the caller's lock: Update runs while the VM is locked.
			go func() { time.Sleep(bootDelay); setTools(ref, true, types.ManagedEntityStatusGreen) }()
		default:
			go setTools(ref, false, types.ManagedEntityStatusGray)
		}
	}
}

// setTools sets Tools' running state and the heartbeat through the registry,
// so property collectors and WaitForUpdatesEx see the change.
func setTools(ref types.ManagedObjectReference, running bool, heartbeat types.ManagedEntityStatus) {
	obj := simulator.Map.Get(ref)
	if obj == nil {
		return
	}
	status := types.VirtualMachineToolsRunningStatusGuestToolsNotRunning
	tools := types.VirtualMachineToolsStatusToolsNotRunning
	if running {
		status = types.VirtualMachineToolsRunningStatusGuestToolsRunning
		tools = types.VirtualMachineToolsStatusToolsOk
	}
	update(obj, []types.PropertyChange{
		{Name: "guest.toolsRunningStatus", Val: string(status)},
		{Name: "guest.toolsStatus", Val: tools},
		{Name: "guestHeartbeatStatus", Val: heartbeat},
		{Name: "summary.guest.toolsRunningStatus", Val: string(status)},
		{Name: "summary.guest.toolsStatus", Val: tools},
		{Name: "summary.quickStats.guestHeartbeatStatus", Val: heartbeat},
	})
}

func setHeartbeat(ref types.ManagedObjectReference, heartbeat types.ManagedEntityStatus) {
	update(simulator.Map.Get(ref), []types.PropertyChange{
		{Name: "guestHeartbeatStatus", Val: heartbeat},
		{Name: "summary.quickStats.guestHeartbeatStatus", Val: heartbeat},
	})
}

func update(obj mo.Reference, changes []types.PropertyChange) {
	simulator.Map.WithLock(obj, func() { simulator.Map.Update(obj, changes) })
}
